/**
 * One configuration of `crossrank bench --concurrency`, in a process of its own: DL19 queries (100 passages each)
 * sent by C callers at once for each level C, every query of the set once per level. Prints one JSON line.
 */
import { loadDl19 } from "./dl19.js";

export interface ConcurrencyRequest {
  modelDir: string;
  dataDir: string;
  dtype: "fp32" | "q8";
  queries: number;
  workers: number;
  threads: number;
  levels: number[];
}

export interface ConcurrencyResult {
  request: ConcurrencyRequest;
  levels: { concurrency: number; queriesPerSec: number; p50Ms: number; p95Ms: number }[];
}

const request = JSON.parse(process.argv[2]!) as ConcurrencyRequest;
const data = await loadDl19(request.dataDir, request.queries);
const { createReranker } = await import("@crossrank/core");
const reranker = await createReranker({ provider: "local", modelPath: request.modelDir, dtype: request.dtype, workers: request.workers, threads: request.threads, maxQueuedPairs: 1_000_000 });
await reranker.rerank(data[0]!.query, data[0]!.passages); // warm-up

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
const result: ConcurrencyResult = { request, levels: [] };
for (const concurrency of request.levels) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < data.length) {
        const q = data[next++]!;
        const callStarted = performance.now();
        await reranker.rerank(q.query, q.passages);
        latencies.push(performance.now() - callStarted);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  result.levels.push({ concurrency, queriesPerSec: data.length / seconds, p50Ms: percentile(latencies, 0.5), p95Ms: percentile(latencies, 0.95) });
}
await reranker.close?.();
process.stdout.write(`${JSON.stringify(result)}\n`);
