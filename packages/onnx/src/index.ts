import { registerProvider } from "@crossrank/core";
import { createProvider } from "./provider.js";

// Importing this package is enough for createReranker({ provider: "local" }) to find it, in a bundle too.
registerProvider("local", { createProvider });

export { createProvider } from "./provider.js";
export { defaultThreads, defaultWorkers } from "./threads.js";
export { ONNX_FILES } from "./model-files.js";
export { mapModelWeights } from "./mapped-model.js";
export { workloadPlanner, type Workload } from "./diagnostics.js";
