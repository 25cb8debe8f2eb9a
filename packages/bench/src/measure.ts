/**
 * One benchmark configuration in a process of its own (forked with an IPC channel), so that peak RSS and
 * event-loop stalls belong to it alone. The parent keeps several of these alive and asks each in turn for the same
 * query, so that a load spike on the shared machine hits every configuration alike instead of one of them.
 */
import { basename, dirname } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { SHAPES, type ShapeName } from "@crossrank/model-fixtures";
import { loadDl19, type BenchQuery } from "./dl19.js";
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
  /** crossrank's workers and intra-op threads per worker; both unset: the local provider's defaults. */
  workers?: number;
  /** Intra-op threads (per worker for crossrank); transformers.js always gets one value. */
  threads?: number;
}

/** One query as a configuration ran it. */
export interface QueryTiming {
  /** Wall time of the call, the first time its passages are seen (crossrank: token cache cold). */
  coldMs: number;
  /** crossrank only: the same call again at once, every passage in the token cache. */
  warmMs?: number;
  /** Share of the call's wall time the main thread was busy (event-loop utilization), cold and warm. */
  busyCold: number;
  busyWarm?: number;
  /** crossrank only: the call's tokenization alone, without the cache (workloadPlanner, in time slices). */
  tokenizeMs?: number;
}

export interface MeasureResult {
  request: MeasureRequest;
  /** Workers × threads as the configuration ran (crossrank's defaults resolved). */
  workers: number;
  threads: number;
  /** One entry per query, in query order. */
  queries: QueryTiming[];
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

/** Parent to child: run query `index`, or finish and report. */
export type MeasureCommand = { type: "query"; index: number } | { type: "finish" };
/** Child to parent. */
export type MeasureReply = { type: "ready" } | { type: "query"; timing: QueryTiming } | { type: "result"; result: MeasureResult } | { type: "error"; message: string };

interface Engine {
  workers: number;
  threads: number;
  query(q: BenchQuery): Promise<QueryTiming>;
  /** Counts tokens and padding, and runs whatever comes after the timed queries. */
  finish(result: MeasureResult, data: BenchQuery[]): Promise<void>;
}

/** Wall time and the main thread's busy share of one call. */
async function timed(work: () => Promise<unknown>): Promise<{ ms: number; busy: number }> {
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  return { ms, busy: performance.eventLoopUtilization(elu).utilization };
}

async function crossrankEngine(request: MeasureRequest, warmUp: BenchQuery): Promise<Engine> {
  const { createReranker } = await import("@crossrank/core");
  const { defaultThreads, defaultWorkers, workloadPlanner } = await import("@crossrank/onnx");
  const workers = request.workers ?? defaultWorkers();
  const threads = request.threads ?? defaultThreads(workers);
  const config = {
    provider: "local",
    modelPath: request.modelDir,
    dtype: request.dtype,
    ...(request.batchTokens ? { batchTokens: request.batchTokens } : {}),
    ...(request.maxBatchSize ? { maxBatchSize: request.maxBatchSize } : {}),
    ...(request.workers ? { workers: request.workers } : {}),
    ...(request.threads ? { threads: request.threads } : {}),
  } as const;
  const reranker = await createReranker(config);
  // First-run allocations, on a reranker of its own so that the measured one's token cache starts empty.
  const warm = await createReranker({ ...config, tokenCache: false });
  await warm.rerank(warmUp.query, warmUp.passages);
  await warm.close?.();
  const plan = await workloadPlanner(config);
  return {
    workers,
    threads,
    async query(q) {
      const cold = await timed(() => reranker.rerank(q.query, q.passages));
      const again = await timed(() => reranker.rerank(q.query, q.passages));
      const started = performance.now();
      await plan(q.query, q.passages);
      return { coldMs: cold.ms, warmMs: again.ms, busyCold: cold.busy, busyWarm: again.busy, tokenizeMs: performance.now() - started };
    },
    async finish(result, data) {
      const eight = data.slice(0, 8);
      let started = performance.now();
      for (const q of eight) await reranker.rerank(q.query, q.passages);
      result.sequential8Ms = performance.now() - started;
      started = performance.now();
      await Promise.all(eight.map((q) => reranker.rerank(q.query, q.passages)));
      result.concurrent8Ms = performance.now() - started;
      const shape = SHAPES[request.shape];
      for (const q of data) {
        const workload = await plan(q.query, q.passages);
        count(result, shape, workload.pairTokens);
        result.paddedTokens += workload.paddedTokens;
      }
      await reranker.close?.();
    },
  };
}

// How JS projects run a cross-encoder today: transformers.js, the whole candidate list as one padded batch.
async function transformersEngine(request: MeasureRequest, warmUp: BenchQuery): Promise<Engine> {
  const { AutoModelForSequenceClassification, AutoTokenizer, env } = await import("@huggingface/transformers");
  const { defaultThreads } = await import("@crossrank/onnx");
  const threads = request.threads ?? defaultThreads();
  env.allowRemoteModels = false;
  env.localModelPath = dirname(request.modelDir);
  const name = basename(request.modelDir);
  const tokenizer = await AutoTokenizer.from_pretrained(name, { local_files_only: true });
  const model = await AutoModelForSequenceClassification.from_pretrained(name, {
    dtype: request.dtype,
    local_files_only: true,
    session_options: { intraOpNumThreads: threads },
  });
  const lengths: number[][] = [];
  const padded: number[] = [];
  const run = async (q: BenchQuery) => {
    const inputs = tokenizer(new Array<string>(q.passages.length).fill(q.query), { text_pair: q.passages, padding: true, truncation: true });
    await model(inputs);
    return inputs.attention_mask as { dims: number[]; data: BigInt64Array };
  };
  await run(warmUp);
  return {
    workers: 1,
    threads,
    async query(q) {
      let mask: { dims: number[]; data: BigInt64Array } | undefined;
      const cold = await timed(async () => (mask = await run(q)));
      const [rows, width] = mask!.dims as [number, number];
      const rowLengths: number[] = [];
      for (let r = 0; r < rows; r++) {
        let n = 0;
        for (let t = 0; t < width; t++) n += Number(mask!.data[r * width + t]);
        rowLengths.push(n);
      }
      lengths.push(rowLengths);
      padded.push(rows * width);
      return { coldMs: cold.ms, busyCold: cold.busy };
    },
    async finish(result) {
      const shape = SHAPES[request.shape];
      for (const l of lengths) count(result, shape, l);
      result.paddedTokens = padded.reduce((a, b) => a + b, 0);
    },
  };
}

function count(result: MeasureResult, shape: (typeof SHAPES)[ShapeName], lengths: number[]): void {
  result.pairs += lengths.length;
  for (const l of lengths) {
    result.realTokens += l;
    result.flops += encoderFlops(shape, l);
  }
}

async function main(send: (reply: MeasureReply) => void): Promise<void> {
  const request = JSON.parse(process.argv[2]!) as MeasureRequest;
  const data = await loadDl19(request.dataDir, request.queries);
  // Warm-up on a query made of the last query's passages in reverse order, so no measured call starts warm.
  const last = data.at(-1)!;
  const warmUp = { query: `${last.query} warm-up`, passages: [...last.passages].reverse().map((p) => `${p} .`) };
  const engine = request.engine === "crossrank" ? await crossrankEngine(request, warmUp) : await transformersEngine(request, warmUp);
  const stall = monitorEventLoopDelay({ resolution: 5 });
  const result: MeasureResult = {
    request,
    workers: engine.workers,
    threads: engine.threads,
    queries: [],
    pairs: 0,
    realTokens: 0,
    paddedTokens: 0,
    flops: 0,
    peakRssMb: 0,
    maxStallMs: 0,
    int8Path: int8Path(readCpu()),
  };
  stall.enable();
  send({ type: "ready" });
  process.on("message", (command: MeasureCommand) => {
    void (async () => {
      if (command.type === "query") {
        const timing = await engine.query(data[command.index]!);
        result.queries.push(timing);
        send({ type: "query", timing });
        return;
      }
      stall.disable();
      result.maxStallMs = stall.max / 1e6;
      result.peakRssMb = process.resourceUsage().maxRSS / 1024;
      await engine.finish(result, data);
      // ONNX Runtime's sessions would keep the process alive: it ends once the parent has the result.
      process.send!({ type: "result", result } satisfies MeasureReply, () => process.exit(0));
    })().catch(fail);
  });
}

function fail(error: Error): void {
  process.send!({ type: "error", message: error.stack ?? error.message } satisfies MeasureReply, () => process.exit(1));
}

if (process.send) main((reply) => process.send!(reply)).catch(fail);
