/**
 * `pnpm memory`: where a local reranker's memory goes, stage by stage, on DL19 passages and a model with real
 * shapes. Runs on the built packages with plain Node (run `pnpm build` first), since a TypeScript loader would
 * add its own memory. Prints resident memory after each stage, split into anonymous memory (heaps, tensors) and
 * file pages (code, mapped weights), the proportional share (shared pages divided among their users), and the peak.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    shape: { type: "string", default: "minilm-l6" },
    /** A model folder made before (by `crossrank bench`): skips loading the model generator, which is not crossrank. */
    model: { type: "string" },
    dtype: { type: "string", default: "fp32" },
    queries: { type: "string", default: "43" },
    workers: { type: "string", default: "1" },
    threads: { type: "string" },
    "batch-tokens": { type: "string" },
    "no-map-weights": { type: "boolean", default: false },
    data: { type: "string", default: join(process.cwd(), "../shared/data/trec-dl19") },
    tokenizer: { type: "string", default: join(process.cwd(), "../shared/models/bert-base-uncased-tokenizer") },
  },
});

function kb(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text);
  return m ? Number(m[1]) / 1024 : undefined;
}

/** One line of figures; on systems without /proc, RSS and peak only. */
function stage(name: string): void {
  let status = "";
  let rollup = "";
  try {
    status = readFileSync("/proc/self/status", "utf8");
    rollup = readFileSync("/proc/self/smaps_rollup", "utf8");
  } catch {
    // not Linux
  }
  const mb = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(0));
  const rss = kb(status, "VmRSS") ?? process.memoryUsage().rss / 1048576;
  const peak = kb(status, "VmHWM") ?? process.resourceUsage().maxRSS / 1024;
  console.log(
    `| ${name} | ${mb(rss)} | ${mb(kb(status, "RssAnon"))} | ${mb(kb(status, "RssFile"))} | ${mb(kb(rollup, "Pss"))} | ${mb(peak)} | ${mb(process.memoryUsage().heapTotal / 1048576)} |`,
  );
}

console.log("| stage | RSS MB | anonymous | file pages | PSS | peak RSS | main JS heap |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
stage("node started");
const { loadDl19 } = await import("./dl19.js");
const modelDir = values.model ?? (await import("./models.js").then((m) => m.benchModel(values.shape as "minilm-l6", values.tokenizer)));
const data = await loadDl19(values.data, Number(values.queries));
stage(`the benchmark's model and ${data.length} DL19 queries ready (not crossrank)`);
const { createReranker } = await import("@crossrank/core");
await import("@crossrank/onnx");
stage("crossrank imported");
process.removeAllListeners("warning");
const reranker = await createReranker({
  provider: "local",
  modelPath: modelDir,
  dtype: values.dtype as "fp32" | "q8",
  workers: Number(values.workers),
  ...(values.threads ? { threads: Number(values.threads) } : {}),
  ...(values["batch-tokens"] ? { batchTokens: Number(values["batch-tokens"]) } : {}),
  ...(values["no-map-weights"] ? { mapWeights: false } : {}),
});
stage("model loaded (tokenizer, workers, sessions)");
await reranker.rerank(data[0]!.query, data[0]!.passages);
stage("first query");
for (const q of data) await reranker.rerank(q.query, q.passages);
stage(`all ${data.length} queries`);
await reranker.close?.();
