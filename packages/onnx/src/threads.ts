import { availableParallelism } from "node:os";

/**
 * Intra-op threads per worker when the config names none: the cores the process may use, shared among the workers. Left to itself, ONNX Runtime
 * counts physical cores and pins a thread to each; on 2-core VMs that ran a large MatMul and MiniLM-L6 at about
 * half the speed of an explicit count of 2 (packages/bench, `--threads`).
 */
export function defaultThreads(workers = 1): number {
  return Math.max(1, Math.floor(availableParallelism() / workers));
}

/**
 * Inference workers when the config names none: two where there are two cores or more. Measured on 2 cores with
 * the MiniLM-L6 q8 shape (RESULTS.md), two single-threaded sessions beat one two-threaded session at 1, 8 and 32
 * concurrent callers alike (small batches scale poorly across intra-op threads), for one more copy of the weights.
 */
export function defaultWorkers(): number {
  return Math.min(2, availableParallelism());
}
