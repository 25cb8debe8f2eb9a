import { availableParallelism } from "node:os";

/**
 * Intra-op threads when the config names none: every core the process may use. Left to itself, ONNX Runtime
 * counts physical cores and pins a thread to each; on 2-core VMs that ran a large MatMul and MiniLM-L6 at about
 * half the speed of an explicit count of 2 (packages/bench, `--threads`).
 */
export function defaultThreads(): number {
  return availableParallelism();
}
