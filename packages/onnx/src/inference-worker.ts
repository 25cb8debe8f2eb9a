/**
 * Runs one ONNX Runtime session off the main thread. onnxruntime-node's `run` occupies the calling thread for
 * the whole inference, so on the main thread it would stall every timer and socket of the app for hundreds of
 * milliseconds per batch. Requests are served one at a time, in arrival order.
 *
 * The published package carries this file as a string (see worker-source.ts and tsup.config.ts), so that a
 * bundle never has to find it on disk.
 */
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import type Ort from "onnxruntime-node";
import type { WorkerRequest, WorkerResponse, WorkerSettings } from "./worker-protocol.js";

type OrtModule = typeof Ort;

/**
 * onnxruntime-node is a native addon that no bundler can inline, so it is required from node_modules: looked up
 * from each of the places the main thread names (this package's own location, the app's entry script, the
 * working directory), the first that has it winning.
 */
function loadOnnxRuntime(searchFrom: string[]): OrtModule {
  for (const from of searchFrom) {
    let path: string;
    try {
      path = createRequire(from).resolve("onnxruntime-node");
    } catch {
      continue;
    }
    return createRequire(from)(path) as OrtModule;
  }
  throw new Error(
    `onnxruntime-node was not found from ${searchFrom.join(", ") || "(nowhere)"}. It must be installed where the app runs: keep node_modules/onnxruntime-node and node_modules/onnxruntime-common beside the app or its bundle`,
  );
}

async function main(): Promise<void> {
  const port = parentPort!;
  const settings = workerData as WorkerSettings;
  const post = (message: WorkerResponse, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

  let ort: OrtModule;
  let session: Ort.InferenceSession;
  try {
    ort = loadOnnxRuntime(settings.searchFrom);
  } catch (error) {
    post({ type: "load-error", reason: "runtime", message: (error as Error).message });
    port.close();
    return;
  }
  try {
    session = await ort.InferenceSession.create(settings.loadPath, {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      executionMode: "sequential",
      // Batches differ in shape from one to the next, and a planned block per shape held 30-90% more memory for
      // activations than allocating tensor by tensor, with no gain in speed (benchmarks/RESULTS.md).
      enableMemPattern: false,
      interOpNumThreads: 1,
      intraOpNumThreads: settings.threads,
    });
    post({ type: "ready", inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
  } catch (error) {
    post({ type: "load-error", reason: "model", message: (error as Error).message });
    port.close();
    return;
  }

  // One request at a time, in arrival order: runs never overlap on the session, and close or exit waits for the
  // run in progress (ending the thread under a native run in progress can take the whole process down).
  let queue: Promise<void> = Promise.resolve();
  port.on("message", (request: WorkerRequest) => {
    queue = queue.then(() => handle(request));
  });

  async function handle(request: WorkerRequest): Promise<void> {
    if (request.type === "close") {
      await session.release();
      port.close();
      return;
    }
    if (request.type === "exit") {
      process.exit(request.code);
    }
    try {
      const feeds: Record<string, Ort.Tensor> = {};
      for (const [name, data] of Object.entries(request.feeds)) feeds[name] = new ort.Tensor("int64", data, request.dims);
      const started = performance.now();
      const result = await session.run(feeds, [request.output]);
      const runMs = performance.now() - started;
      const tensor = result[request.output]!;
      const data = tensor.data as Float32Array;
      post({ type: "result", id: request.id, data, dims: [...tensor.dims], dtype: tensor.type, runMs }, [data.buffer as ArrayBuffer]);
    } catch (error) {
      post({ type: "run-error", id: request.id, message: (error as Error).message });
    }
  }
}

void main();
