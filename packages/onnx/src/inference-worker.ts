/**
 * Runs one ONNX Runtime session off the main thread. onnxruntime-node's `run` occupies the calling thread for
 * the whole inference, so on the main thread it would stall every timer and socket of the app for hundreds of
 * milliseconds per batch. Requests are served one at a time, in arrival order.
 */
import { parentPort, workerData } from "node:worker_threads";
import ort from "onnxruntime-node";
import type { WorkerRequest, WorkerResponse, WorkerSettings } from "./worker-protocol.js";

const port = parentPort!;
const settings = workerData as WorkerSettings;
const post = (message: WorkerResponse, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let session: ort.InferenceSession;
try {
  session = await ort.InferenceSession.create(settings.path, {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    interOpNumThreads: 1,
    ...(settings.threads === undefined ? {} : { intraOpNumThreads: settings.threads }),
  });
  post({ type: "ready", inputNames: [...session.inputNames], outputNames: [...session.outputNames] });
} catch (error) {
  post({ type: "load-error", message: (error as Error).message });
  port.close();
}

port.on("message", async (request: WorkerRequest) => {
  if (request.type === "close") {
    await session.release();
    port.close();
    return;
  }
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, data] of Object.entries(request.feeds)) feeds[name] = new ort.Tensor("int64", data, request.dims);
    const result = await session.run(feeds, [request.output]);
    const tensor = result[request.output]!;
    const data = tensor.data as Float32Array;
    post({ type: "result", id: request.id, data, dims: [...tensor.dims], dtype: tensor.type }, [data.buffer as ArrayBuffer]);
  } catch (error) {
    post({ type: "run-error", id: request.id, message: (error as Error).message });
  }
});
