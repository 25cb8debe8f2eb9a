import { availableParallelism } from "node:os";

/**
 * Intra-op threads per worker when the config names none: the cores the process may use, shared among the workers. Left to itself, ONNX Runtime
 * counts physical cores and pins a thread to each; on 2-core VMs that ran a large MatMul and MiniLM-L6 at about
 * half the speed of an explicit count of 2 (packages/bench, `--threads`).
 */
export function defaultThreads(workers = 1): number {
  return Math.max(1, Math.floor(availableParallelism() / workers));
}
