import { registerProvider } from "@crossrank/core";
import { createProvider } from "./provider.js";

// Importing this package is enough for createReranker({ provider: "jina" }) to find it, in a bundle too.
registerProvider("jina", { createProvider });

export { createProvider, DEFAULT_MODEL, MAX_DOCUMENTS_PER_REQUEST } from "./provider.js";
