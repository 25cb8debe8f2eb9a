import { Worker } from "node:worker_threads";
import { join } from "node:path";
import { callerFile, RerankError } from "@crossrank/core";
import type { WorkerRequest, WorkerResponse, WorkerSettings } from "./worker-protocol.js";
import { inferenceWorkerEntry } from "./worker-source.js";

export interface RunResult {
  data: Float32Array;
  dims: number[];
  dtype: string;
}

/** A loaded model: its signature, and inference that runs on its worker thread. */
export interface InferenceSession {
  inputNames: string[];
  outputNames: string[];
  run(feeds: Record<string, BigInt64Array>, dims: number[], output: string): Promise<RunResult>;
}

interface Entry {
  ready: Promise<InferenceSession>;
  refs: number;
  worker: Worker;
}

const sessions = new Map<string, Entry>();

/** What identifies a session: the model file and its thread count. */
export type SessionSettings = Omit<WorkerSettings, "searchFrom">;

const keyOf = (s: SessionSettings) => JSON.stringify([s.path, s.threads]);

/** The places the worker looks for onnxruntime-node, in order (worker-protocol.ts). */
function searchFrom(): string[] {
  const places = [callerFile(), process.argv[1], join(process.cwd(), "/")];
  return [...new Set(places.filter((p): p is string => typeof p === "string" && p.length > 0))];
}

function startWorker(settings: SessionSettings): { worker: Worker; ready: Promise<InferenceSession> } {
  // The worker keeps the process's flags except those that only fit the main script, such as --input-type for
  // `node -e`.
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith("--input-type"));
  const { entry, eval: isEval } = inferenceWorkerEntry();
  const worker = new Worker(entry, { workerData: { ...settings, searchFrom: searchFrom() } satisfies WorkerSettings, execArgv, eval: isEval });
  const pending = new Map<number, { resolve: (r: RunResult) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  // An idle worker must not keep the process alive (an app that never calls close() still exits).
  const refresh = () => (pending.size > 0 ? worker.ref() : worker.unref());
  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    refresh();
  };

  const ready = new Promise<InferenceSession>((resolve, reject) => {
    worker.on("message", (message: WorkerResponse) => {
      switch (message.type) {
        case "ready":
          resolve({
            inputNames: message.inputNames,
            outputNames: message.outputNames,
            run(feeds, dims, output) {
              return new Promise<RunResult>((res, rej) => {
                const id = nextId++;
                pending.set(id, { resolve: res, reject: rej });
                refresh();
                const request: WorkerRequest = { type: "run", id, feeds, dims, output };
                worker.postMessage(request, Object.values(feeds).map((f) => f.buffer as ArrayBuffer));
              });
            },
          });
          refresh();
          return;
        case "load-error":
          reject(
            message.reason === "runtime"
              ? new RerankError("PROVIDER_NOT_INSTALLED", `the local provider could not start ONNX Runtime: ${message.message}`, { provider: "local" })
              : new RerankError(
                  "MODEL_LOAD_FAILED",
                  `ONNX Runtime could not load ${settings.path}: ${message.message}. The file may be truncated or corrupt (re-download or re-export it)`,
                  { provider: "local" },
                ),
          );
          return;
        case "result":
        case "run-error": {
          const p = pending.get(message.id);
          pending.delete(message.id);
          refresh();
          if (message.type === "result") p?.resolve({ data: message.data, dims: message.dims, dtype: message.dtype });
          else p?.reject(new RerankError("PROVIDER_ERROR", `ONNX Runtime failed to run ${settings.path}: ${message.message}`, { provider: "local" }));
        }
      }
    });
    worker.on("error", (error) => {
      const wrapped = new RerankError("PROVIDER_ERROR", `the inference worker for ${settings.path} failed: ${error.message}`, { provider: "local", cause: error });
      reject(wrapped);
      failAll(wrapped);
      sessions.delete(keyOf(settings));
    });
    worker.on("exit", () => {
      failAll(new RerankError("CLOSED", `the inference worker for ${settings.path} has stopped`, { provider: "local" }));
      // A worker that is gone must not be handed to the next caller: it would never answer.
      if (sessions.get(keyOf(settings))?.worker === worker) sessions.delete(keyOf(settings));
    });
  });
  return { worker, ready };
}

/**
 * One ONNX Runtime session per (model file, threads), on its own worker thread, shared by every provider that
 * uses it: a model's weights are loaded once however many rerankers an app creates. Released when the last
 * user closes.
 */
export async function acquireSession(settings: SessionSettings): Promise<{ session: InferenceSession; release: () => Promise<void> }> {
  const key = keyOf(settings);
  let entry = sessions.get(key);
  if (!entry) {
    const started = startWorker(settings);
    entry = { ...started, refs: 0 };
    sessions.set(key, entry);
    started.ready.catch(() => sessions.delete(key));
  }
  entry.refs++;
  const current = entry;
  let session: InferenceSession;
  try {
    session = await current.ready;
  } catch (error) {
    current.refs--;
    throw error;
  }
  let released = false;
  return {
    session,
    release: async () => {
      if (released) return;
      released = true;
      if (--current.refs === 0) {
        sessions.delete(key);
        const exited = new Promise((r) => current.worker.once("exit", r));
        // Keep the process alive until the worker has released the session.
        current.worker.ref();
        current.worker.postMessage({ type: "close" } satisfies WorkerRequest);
        await exited;
      }
    },
  };
}

/** How many sessions are loaded now; for tests and diagnostics. */
export function loadedSessionCount(): number {
  return sessions.size;
}
