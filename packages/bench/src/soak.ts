/**
 * `pnpm soak`: many calls on the MiniLM-L6 q8 shape at a fixed concurrency, for as long as asked. Samples RSS
 * after warm-up and reports its growth, then closes the reranker and checks nothing is left behind (pools,
 * workers, timers, handles): the process must end by itself. Prints the figures; exits non-zero on a violation.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createReranker } from "@crossrank/core";
import { FIXTURE_WORDS, SeededRandom, writeFixtureModel } from "@crossrank/model-fixtures";
import { loadedSessionCount } from "@crossrank/onnx/testing";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "8" },
    minutes: { type: "string", default: "30" },
    docs: { type: "string", default: "10" },
    shape: { type: "string", default: "minilm-l6" },
    workers: { type: "string" },
    threads: { type: "string" },
  },
});
const CALLS = Number(values.calls);
const CONCURRENCY = Number(values.concurrency);
const DEADLINE = performance.now() + Number(values.minutes) * 60_000;
const DOCS = Number(values.docs);
const rng = new SeededRandom(11);
const sentence = (words: number) => Array.from({ length: words }, () => FIXTURE_WORDS[Math.floor(rng.next() * FIXTURE_WORDS.length)]).join(" ");

const dir = await mkdtemp(join(tmpdir(), "crossrank-soak-"));
await writeFixtureModel({ shape: values.shape as "minilm-l6", dtypes: ["q8"], out: dir });
process.removeAllListeners("warning");
const reranker = await createReranker({
  provider: "local",
  modelPath: dir,
  dtype: "q8",
  ...(values.workers ? { workers: Number(values.workers) } : {}),
  ...(values.threads ? { threads: Number(values.threads) } : {}),
});
const resourcesBefore = process.getActiveResourcesInfo().length;

const rssMb = () => process.memoryUsage().rss / 1e6;
let issued = 0;
let done = 0;
let failed = 0;
const latencies: number[] = [];
const warmup = Math.min(500, Math.floor(CALLS / 10));
const samples: number[] = [];
const started = performance.now();
let lastSample = 0;

async function lane(): Promise<void> {
  while (issued < CALLS && performance.now() < DEADLINE) {
    issued++;
    const documents = Array.from({ length: DOCS }, () => sentence(20 + Math.floor(rng.next() * 60)));
    try {
      const callStarted = performance.now();
      const results = await reranker.rerank(sentence(6), documents);
      latencies.push(performance.now() - callStarted);
      if (results.length !== DOCS) failed++;
      else done++;
    } catch {
      failed++;
    }
    if (done > warmup && performance.now() - lastSample > 2000) {
      lastSample = performance.now();
      samples.push(rssMb());
    }
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, lane));
const seconds = (performance.now() - started) / 1000;
await reranker.close?.();

const growth = samples.length > 1 ? Math.max(...samples) - samples[0]! : 0;
const leftover = process.getActiveResourcesInfo();
console.log(`soak: ${done} calls of ${DOCS} documents (${values.shape} q8, concurrency ${CONCURRENCY}) in ${seconds.toFixed(0)} s, ${failed} failed${done + failed < CALLS ? `; stopped at the ${values.minutes}-minute limit before ${CALLS}` : ""}`);
const sorted = [...latencies].sort((a, b) => a - b);
const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.toFixed(0) ?? "-";
console.log(`workers ${values.workers ?? "default"}, threads ${values.threads ?? "default"}: ${(done / seconds).toFixed(1)} calls/s, latency p50 ${p(0.5)} ms, p95 ${p(0.95)} ms`);
console.log(`throughput ${(done / seconds).toFixed(1)} calls/s; RSS after warm-up (${warmup} calls): first ${samples[0]?.toFixed(0) ?? "-"} MB, max ${samples.length ? Math.max(...samples).toFixed(0) : "-"} MB, growth ${growth.toFixed(1)} MB over ${samples.length} samples`);
console.log(`after close: model pools loaded ${loadedSessionCount()}, active resources ${leftover.length} (before the calls: ${resourcesBefore}): ${leftover.join(", ") || "none"}`);
const ok = failed === 0 && growth <= 30 && loadedSessionCount() === 0;
console.log(ok ? "soak: PASS (the process now ends by itself)" : "soak: FAIL");
process.exitCode = ok ? 0 : 1;
