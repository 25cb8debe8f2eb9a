import { dirname, join } from "node:path";
import { Worker } from "node:worker_threads";
import { callerFile, RerankError } from "@crossrank/core";
import type { WorkerRequest, WorkerResponse, WorkerSettings } from "./worker-protocol.js";
import { inferenceWorkerEntry } from "./worker-source.js";

export interface RunResult {
  data: Float32Array;
  dims: number[];
  dtype: string;
  /** How long the session ran the batch (queueing excluded). */
  runMs: number;
}

export interface Signature {
  inputNames: string[];
  outputNames: string[];
}

/** The places the worker looks for onnxruntime-node, in order (worker-protocol.ts). */
function searchFrom(): string[] {
  const places = [callerFile(), process.argv[1], join(process.cwd(), "/")];
  return [...new Set(places.filter((p): p is string => typeof p === "string" && p.length > 0))];
}

/**
 * One inference worker: an ONNX Runtime session on its own thread. It reports its death (exit, error, out of
 * memory) once, after failing every batch it held, so its pool can replace it.
 */
export class WorkerThread {
  readonly ready: Promise<Signature>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: RunResult) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private dead = false;

  constructor(
    private readonly settings: Omit<WorkerSettings, "searchFrom">,
    private readonly onDeath: (thread: WorkerThread) => void,
  ) {
    // No Node flags for the worker: its code is self-contained, and a worker refuses some flags an app may run with
    // (--max-semi-space-size, --expose-gc: ERR_WORKER_INVALID_EXEC_ARGV) or misreads others (--input-type of `node -e`).
    const { entry, eval: isEval } = inferenceWorkerEntry();
    this.worker = new Worker(entry, { workerData: { ...settings, searchFrom: searchFrom() } satisfies WorkerSettings, execArgv: [], eval: isEval });
    this.ready = new Promise<Signature>((resolve, reject) => {
      this.worker.on("message", (message: WorkerResponse) => {
        if (message.type === "ready") {
          resolve({ inputNames: message.inputNames, outputNames: message.outputNames });
          this.refresh();
        } else if (message.type === "load-error") {
          reject(
            message.reason === "runtime"
              ? new RerankError("PROVIDER_NOT_INSTALLED", `the local provider could not start ONNX Runtime: ${message.message}`, { provider: "local" })
              : new RerankError(
                  "MODEL_LOAD_FAILED",
                  settings.loadPath === settings.path
                    ? `ONNX Runtime could not load ${settings.path}: ${message.message}. The file may be truncated or corrupt (re-download or re-export it)`
                    : `ONNX Runtime could not load ${settings.path} from its copy with mapped weights, ${settings.loadPath}: ${message.message}. Delete ${dirname(settings.loadPath)} to have the copy made again, or set mapWeights: false`,
                  { provider: "local" },
                ),
          );
        } else {
          const p = this.pending.get(message.id);
          this.pending.delete(message.id);
          this.refresh();
          if (message.type === "result") p?.resolve({ data: message.data, dims: message.dims, dtype: message.dtype, runMs: message.runMs });
          else p?.reject(new RerankError("PROVIDER_ERROR", `ONNX Runtime failed to run ${settings.path}: ${message.message}`, { provider: "local" }));
        }
      });
      this.worker.on("error", (error) => {
        const wrapped = new RerankError("PROVIDER_ERROR", `the inference worker for ${settings.path} failed: ${error.message}; the next call starts a new one`, { provider: "local", cause: error });
        reject(wrapped);
        this.die(wrapped);
      });
      this.worker.on("exit", (code) => {
        const error = new RerankError("PROVIDER_ERROR", `the inference worker for ${settings.path} stopped (exit code ${code}) while it held this call's batch; the next call starts a new one`, {
          provider: "local",
        });
        reject(error);
        this.die(error);
      });
    });
    this.ready.catch(() => undefined);
  }

  /** Batches posted and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  get alive(): boolean {
    return !this.dead;
  }

  run(feeds: Record<string, BigInt64Array>, dims: number[], output: string): Promise<RunResult> {
    if (this.dead) return Promise.reject(new RerankError("PROVIDER_ERROR", `the inference worker for ${this.settings.path} has stopped`, { provider: "local" }));
    return new Promise<RunResult>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.refresh();
      const request: WorkerRequest = { type: "run", id, feeds, dims, output };
      this.worker.postMessage(request, Object.values(feeds).map((f) => f.buffer as ArrayBuffer));
    });
  }

  /** Releases the session and ends the thread. */
  async close(): Promise<void> {
    if (this.dead) return;
    const exited = new Promise((resolve) => this.worker.once("exit", resolve));
    // Keep the process alive until the worker has released its session.
    this.worker.ref();
    this.worker.postMessage({ type: "close" } satisfies WorkerRequest);
    await exited;
  }

  /**
   * Ends the thread as a crash would, right after the batch it is running: batches it holds beyond that fail.
   * (Not worker.terminate(): ending a thread under a native ONNX Runtime run can take the whole process down.)
   */
  async crash(): Promise<void> {
    if (this.dead) return;
    const exited = new Promise((resolve) => this.worker.once("exit", resolve));
    this.worker.postMessage({ type: "exit", code: 70 } satisfies WorkerRequest);
    await exited;
  }

  private die(error: Error): void {
    if (this.dead) return;
    this.dead = true;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.onDeath(this);
  }

  // An idle worker must not keep the process alive (an app that never calls close() still exits).
  private refresh(): void {
    if (this.dead) return;
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }
}
