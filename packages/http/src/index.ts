import { registerProvider } from "@crossrank/core";
import { createProvider } from "./provider.js";

// Importing this package is enough for createReranker({ provider: "http" }) to find it, in a bundle too.
registerProvider("http", { createProvider });

export { createProvider } from "./provider.js";
export { cohereWire, teiWire, type WireFormat } from "./wire.js";
