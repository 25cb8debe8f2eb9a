/**
 * `pnpm stress`: 500 concurrent calls of mixed sizes (1 to 1,000 documents, with duplicates, empty strings and
 * long documents) on one local fp32 model, a random fifth of them aborted. Every call not aborted must return
 * exactly its documents, each once, with the scores it gets when run alone (1e-5), and nothing may reject
 * unhandled. Prints the figures; exits non-zero on any violation. A generated tiny model keeps it to minutes:
 * the property under test is the engine's bookkeeping, not the model's speed.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createReranker, isRerankError, type RerankResult } from "@crossrank/core";
import { FIXTURE_WORDS, SeededRandom, writeFixtureModel } from "@crossrank/model-fixtures";

const { values } = parseArgs({ options: { calls: { type: "string", default: "500" }, workers: { type: "string", default: "2" }, seed: { type: "string", default: "7" } } });
const CALLS = Number(values.calls);
const rng = new SeededRandom(Number(values.seed));
const pick = <T>(items: readonly T[]) => items[Math.floor(rng.next() * items.length)]!;
const sentence = (words: number) => Array.from({ length: words }, () => pick(FIXTURE_WORDS)).join(" ");

let unhandled = 0;
process.on("unhandledRejection", () => unhandled++);

const dir = await mkdtemp(join(tmpdir(), "crossrank-stress-"));
await writeFixtureModel({ shape: "tiny", dtypes: ["fp32"], out: dir });
process.removeAllListeners("warning"); // the fixture's "ranks nothing" notice, once per model, is expected here
const reranker = await createReranker({ provider: "local", modelPath: dir, workers: Number(values.workers), maxQueuedPairs: 10_000_000 });

interface Call {
  query: string;
  documents: string[];
  abort: boolean;
}
const calls: Call[] = Array.from({ length: CALLS }, () => {
  const size = Math.max(1, Math.round(Math.exp(rng.next() * Math.log(1000))));
  const documents: string[] = [];
  for (let i = 0; i < size; i++) {
    const r = rng.next();
    if (r < 0.1 && documents.length) documents.push(pick(documents)); // a duplicate
    else if (r < 0.13) documents.push(""); // an empty document
    else if (r < 0.18) documents.push(sentence(400)); // longer than the window
    else documents.push(sentence(3 + Math.floor(rng.next() * 25)));
  }
  return { query: sentence(4), documents, abort: rng.next() < 0.2 };
});

const started = performance.now();
const outcomes = await Promise.allSettled(
  calls.map(async (call) => {
    const controller = new AbortController();
    if (call.abort) setTimeout(() => controller.abort(), Math.floor(rng.next() * 2000));
    return reranker.rerank(call.query, call.documents, { signal: controller.signal });
  }),
);
const concurrentMs = performance.now() - started;

let completed = 0;
let aborted = 0;
let wrongSet = 0;
let mismatched = 0;
let otherErrors = 0;
let maxDiff = 0;
for (let c = 0; c < calls.length; c++) {
  const outcome = outcomes[c]!;
  const call = calls[c]!;
  if (outcome.status === "rejected") {
    if (isRerankError(outcome.reason, "ABORTED") && call.abort) aborted++;
    else {
      otherErrors++;
      console.error(`call ${c}: ${(outcome.reason as Error).message}`);
    }
    continue;
  }
  completed++;
  const results: RerankResult[] = outcome.value;
  const indices = results.map((r) => r.index).sort((a, b) => a - b);
  if (indices.length !== call.documents.length || indices.some((v, i) => v !== i)) wrongSet++;
  const alone = await reranker.rerank(call.query, call.documents);
  const byIndex = new Map(alone.map((r) => [r.index, r.score]));
  let bad = false;
  for (const r of results) {
    const diff = Math.abs(r.score - (byIndex.get(r.index) ?? Number.NaN));
    maxDiff = Math.max(maxDiff, Number.isNaN(diff) ? Infinity : diff);
    if (!(diff <= 1e-5)) bad = true;
  }
  if (bad) mismatched++;
}
await reranker.close?.();

const pairs = calls.reduce((sum, c) => sum + c.documents.length, 0);
console.log(`calls ${CALLS} (${pairs} documents, workers ${values.workers}): ${completed} completed, ${aborted} aborted as asked, ${otherErrors} other errors`);
console.log(`completed calls with a wrong document set: ${wrongSet}; with a score off its solo value by > 1e-5: ${mismatched} (max diff ${maxDiff.toExponential(2)})`);
console.log(`unhandled rejections: ${unhandled}; all 500 at once took ${(concurrentMs / 1000).toFixed(1)} s; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
const ok = wrongSet === 0 && mismatched === 0 && otherErrors === 0 && unhandled === 0 && completed + aborted === CALLS;
console.log(ok ? "stress: PASS" : "stress: FAIL");
process.exitCode = ok ? 0 : 1;
