/**
 * One benchmark configuration, run in a process of its own so that peak RSS and event-loop stalls belong to it
 * alone. Prints one JSON line.
 */
import { basename, dirname } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { SHAPES, type ShapeName } from "@crossrank/model-fixtures";
import { loadDl19 } from "./dl19.js";
import { encoderFlops } from "./flops.js";
import { int8Path, readCpu } from "./machine.js";

export interface MeasureRequest {
  engine: "crossrank" | "transformers.js";
  shape: ShapeName;
  dtype: "fp32" | "q8";
  modelDir: string;
  dataDir: string;
  queries: number;
  /** crossrank's batching, when not its defaults. */
  batchTokens?: number;
  maxBatchSize?: number;
  /** Intra-op threads, the same for both engines so that the ratios compare engines, not thread settings. */
  threads: number;
}

export interface MeasureResult {
  request: MeasureRequest;
  /** Milliseconds per query (100 passages each), in query order. */
  queryMs: number[];
  pairs: number;
  realTokens: number;
  paddedTokens: number;
  /** Useful work: the encoder's FLOPs on the unpadded pairs. */
  flops: number;
  /** Peak RSS over loading the model and reranking every query (before the concurrency check). */
  peakRssMb: number;
  maxStallMs: number;
  /** crossrank only: 8 queries one after another, and the same 8 at once. */
  sequential8Ms?: number;
  concurrent8Ms?: number;
  /** The int8 kernels this machine offers ONNX Runtime (machine.ts), so a q8 figure says which path it measured. */
  int8Path: string;
}

const request = JSON.parse(process.argv[2]!) as MeasureRequest;
const shape = SHAPES[request.shape];
const data = await loadDl19(request.dataDir, request.queries);
const stall = monitorEventLoopDelay({ resolution: 5 });
const result: MeasureResult = {
  request,
  queryMs: [],
  pairs: 0,
  realTokens: 0,
  paddedTokens: 0,
  flops: 0,
  peakRssMb: 0,
  maxStallMs: 0,
  int8Path: int8Path(readCpu()),
};
const countTokens = (lengths: number[]) => {
  result.pairs += lengths.length;
  for (const l of lengths) {
    result.realTokens += l;
    result.flops += encoderFlops(shape, l);
  }
};

if (request.engine === "crossrank") {
  const { createReranker } = await import("@crossrank/core");
  const { workloadPlanner } = await import("@crossrank/onnx");
  const config = {
    provider: "local",
    modelPath: request.modelDir,
    dtype: request.dtype,
    ...(request.batchTokens ? { batchTokens: request.batchTokens } : {}),
    ...(request.maxBatchSize ? { maxBatchSize: request.maxBatchSize } : {}),
    // One session, as transformers.js runs: the comparison is of engines at equal threads (workers are measured
    // by `pnpm soak --workers`).
    workers: 1,
    threads: request.threads,
  } as const;
  const reranker = await createReranker(config);
  await reranker.rerank(data[0]!.query, data[0]!.passages); // warm-up: first-run allocations
  stall.enable();
  for (const q of data) {
    const started = performance.now();
    await reranker.rerank(q.query, q.passages);
    result.queryMs.push(performance.now() - started);
  }
  stall.disable();
  result.peakRssMb = process.resourceUsage().maxRSS / 1024;
  const eight = data.slice(0, 8);
  let started = performance.now();
  for (const q of eight) await reranker.rerank(q.query, q.passages);
  result.sequential8Ms = performance.now() - started;
  started = performance.now();
  await Promise.all(eight.map((q) => reranker.rerank(q.query, q.passages)));
  result.concurrent8Ms = performance.now() - started;
  const plan = await workloadPlanner(config);
  for (const q of data) {
    const workload = await plan(q.query, q.passages);
    countTokens(workload.pairTokens);
    result.paddedTokens += workload.paddedTokens;
  }
  await reranker.close?.();
} else {
  // How JS projects run a cross-encoder today: transformers.js, the whole candidate list as one padded batch.
  const { AutoModelForSequenceClassification, AutoTokenizer, env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.localModelPath = dirname(request.modelDir);
  const name = basename(request.modelDir);
  const tokenizer = await AutoTokenizer.from_pretrained(name, { local_files_only: true });
  const model = await AutoModelForSequenceClassification.from_pretrained(name, { dtype: request.dtype, local_files_only: true, session_options: { intraOpNumThreads: request.threads } });
  const run = async (q: { query: string; passages: string[] }) => {
    const inputs = tokenizer(new Array<string>(q.passages.length).fill(q.query), { text_pair: q.passages, padding: true, truncation: true });
    await model(inputs);
    return inputs.attention_mask as { dims: number[]; data: BigInt64Array };
  };
  await run(data[0]!);
  stall.enable();
  for (const q of data) {
    const started = performance.now();
    const mask = await run(q);
    result.queryMs.push(performance.now() - started);
    const [rows, width] = mask.dims as [number, number];
    const lengths: number[] = [];
    for (let r = 0; r < rows; r++) {
      let n = 0;
      for (let t = 0; t < width; t++) n += Number(mask.data[r * width + t]);
      lengths.push(n);
    }
    countTokens(lengths);
    result.paddedTokens += rows * width;
  }
  stall.disable();
  result.peakRssMb = process.resourceUsage().maxRSS / 1024;
}

result.maxStallMs = stall.max / 1e6;
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
