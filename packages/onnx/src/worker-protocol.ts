/** Messages between the main thread and the inference worker. */
export interface WorkerSettings {
  path: string;
  /** What ONNX Runtime opens: `path` or its copy with mappable weights. */
  loadPath: string;
  threads: number;
  /** Files (or folders ending in /) to resolve onnxruntime-node from, in order. */
  searchFrom: string[];
}

export type WorkerRequest =
  | { type: "run"; id: number; feeds: Record<string, BigInt64Array>; dims: number[]; output: string }
  | { type: "close" }
  /** Ends the thread with this exit code after the batch it is running, as a crash would (tests, diagnostics). */
  | { type: "exit"; code: number };

export type WorkerResponse =
  | { type: "ready"; inputNames: string[]; outputNames: string[] }
  | { type: "load-error"; reason: "runtime" | "model"; message: string }
  /** `runMs`: the session's own run time, without the time the batch waited in a queue. */
  | { type: "result"; id: number; data: Float32Array; dims: number[]; dtype: string; runMs: number }
  | { type: "run-error"; id: number; message: string };
