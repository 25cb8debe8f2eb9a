export { createProvider } from "./provider.js";
export { cohereWire, teiWire, type WireFormat } from "./wire.js";
