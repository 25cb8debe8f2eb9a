/**
 * Hooks for tests and diagnostics, kept off the main entry so an app's autocomplete never offers them:
 * `import { loadedSessionCount } from "@crossrank/onnx/testing"`.
 */
export { crashInferenceWorkers, loadedSessionCount } from "./session-cache.js";
