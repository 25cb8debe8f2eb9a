import { registerProvider } from "@crossrank/core";
import { createProvider } from "./provider.js";

// Importing this package is enough for createReranker({ provider: "voyage" }) to find it, in a bundle too.
registerProvider("voyage", { createProvider });

export { createProvider, DEFAULT_MODEL, MAX_DOCUMENTS_PER_REQUEST } from "./provider.js";
export { TOKEN_LIMITS } from "./provider.js";
