export { createProvider, DEFAULT_MODEL, MAX_DOCUMENTS_PER_REQUEST } from "./provider.js";
