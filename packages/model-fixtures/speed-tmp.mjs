// node speed-tmp.mjs <label>=<onnx file> ...: q8 pairs/s, batches of 32 pairs × 96 tokens, 2 threads, alternating.
import ort from "onnxruntime-node";
const models = process.argv.slice(2).map((a) => a.split("="));
const B = 32, S = 96;
const ids = BigInt64Array.from({ length: B * S }, (_, i) => BigInt(1000 + ((i * 7919) % 29000)));
const feeds = { input_ids: new ort.Tensor("int64", ids, [B, S]), attention_mask: new ort.Tensor("int64", new BigInt64Array(B * S).fill(1n), [B, S]), token_type_ids: new ort.Tensor("int64", new BigInt64Array(B * S), [B, S]) };
const sessions = [];
for (const [label, file] of models) sessions.push([label, await ort.InferenceSession.create(file, { graphOptimizationLevel: "all", intraOpNumThreads: 2, executionMode: "sequential" })]);
const results = Object.fromEntries(models.map(([l]) => [l, []]));
for (const [, s] of sessions) await s.run(feeds);
for (let round = 0; round < 20; round++) {
  for (const [label, s] of sessions) {
    const t = performance.now();
    for (let i = 0; i < 3; i++) await s.run(feeds);
    results[label].push((3 * B) / ((performance.now() - t) / 1000));
  }
}
for (const [label, r] of Object.entries(results)) {
  const sorted = [...r].sort((a, b) => a - b);
  console.log(label, "pairs/s median", sorted[Math.floor(sorted.length / 2)].toFixed(1), "best", sorted.at(-1).toFixed(1), "all", r.map((v) => v.toFixed(0)).join(" "));
}
