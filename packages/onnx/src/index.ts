export { createProvider } from "./provider.js";
export { loadedSessionCount } from "./session-cache.js";
export { ONNX_FILES } from "./model-files.js";
export { workloadPlanner, type Workload } from "./diagnostics.js";
