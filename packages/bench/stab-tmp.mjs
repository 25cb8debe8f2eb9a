// q8 vs fp32 on the MiniLM-L6-shaped fixture, DL19 queries × 100 passages through crossrank: score differences and rank swaps.
import { readFile } from "node:fs/promises";
import { createReranker } from "@crossrank/core";
const [modelDir, nq = "5"] = process.argv.slice(2);
const data = JSON.parse(await readFile("/work/shared/data/trec-dl19/bm25-top100.json", "utf8")).slice(0, Number(nq));
const fp = await createReranker({ provider: "local", modelPath: modelDir, dtype: "fp32", workers: 1 });
const q8 = await createReranker({ provider: "local", modelPath: modelDir, dtype: "q8", workers: 1 });
let maxRaw = 0, sumRaw = 0, n = 0, discordant = 0, pairs = 0, top10Same = 0, spreadSum = 0, minGapSwapped = Infinity;
for (const q of data) {
  const docs = q.hits.map((h) => h.content);
  const a = await fp.rerank(q.query, docs), b = await q8.rerank(q.query, docs);
  const fa = new Map(a.map((r) => [r.index, r.rawScore])), fb = new Map(b.map((r) => [r.index, r.rawScore]));
  const raws = [...fa.values()]; spreadSum += Math.max(...raws) - Math.min(...raws);
  for (const [i, v] of fa) { const d = Math.abs(v - fb.get(i)); maxRaw = Math.max(maxRaw, d); sumRaw += d; n++; }
  for (let i = 0; i < docs.length; i++) for (let j = i + 1; j < docs.length; j++) {
    pairs++;
    if (Math.sign(fa.get(i) - fa.get(j)) !== Math.sign(fb.get(i) - fb.get(j))) { discordant++; minGapSwapped = Math.min(minGapSwapped, Math.abs(fa.get(i) - fa.get(j))); }
  }
  if (a.slice(0, 10).map((r) => r.index).join() === b.slice(0, 10).map((r) => r.index).join()) top10Same++;
}
await fp.close(); await q8.close();
console.log(JSON.stringify({ queries: data.length, maxAbsRaw: maxRaw.toFixed(4), meanAbsRaw: (sumRaw / n).toFixed(4), meanSpreadFp32: (spreadSum / data.length).toFixed(3), discordantPairs: `${discordant}/${pairs} (${((100 * discordant) / pairs).toFixed(2)}%)`, kendallTau: (1 - (2 * discordant) / pairs).toFixed(4), sameTop10: `${top10Same}/${data.length}` }));
