/**
 * One code path for every backend. The reranker comes from a config string (the grammar of createReranker,
 * CROSSRANK_PROVIDER and the CLI's --provider: provider:model?option=value&…, fallbacks joined by "|"):
 *   pnpm --filter @crossrank/example-switch-provider start                 # local default model, lexical fallback
 *   pnpm --filter @crossrank/example-switch-provider start lexical
 *   pnpm --filter @crossrank/example-switch-provider start passthrough        # the first stage's order, as is
 *   pnpm --filter @crossrank/example-switch-provider start local:./models/ms-marco-MiniLM-L-6-v2?dtype=q8
 *   pnpm --filter @crossrank/example-switch-provider start "http:http://127.0.0.1:8080?api=tei|lexical"
 *   CROSSRANK_PROVIDER="cohere:rerank-v3.5?timeoutMs=5000|lexical" COHERE_API_KEY=… pnpm --filter … start
 *   CROSSRANK_PROVIDER=voyage:rerank-2.5 VOYAGE_API_KEY=… pnpm --filter @crossrank/example-switch-provider start
 *   CROSSRANK_PROVIDER=jina JINA_API_KEY=… pnpm --filter @crossrank/example-switch-provider start
 *   CROSSRANK_CONFIG='{"provider":"http","url":"https://rerank.internal","apiKey":"…"}' pnpm --filter … start
 * (mixedbread works the same way; keys come from the environment, never from the string.)
 */
import { createReranker, type RerankerSpec } from "@crossrank/core";
import { demoReranker, embedText, PASSAGES, printComparison, QUERIES } from "@crossrank/example-corpus";
import { pathToFileURL } from "node:url";

/** First stage without a framework: cosine similarity of the word-hashing embeddings, top 10. */
function firstStage(query: string, k = 10): number[] {
  const q = embedText(query);
  return PASSAGES.map((p, i) => ({ i, s: embedText(p.text).reduce((sum, v, d) => sum + v * q[d]!, 0) }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, k)
    .map((x) => x.i);
}

export async function run(log: (line: string) => void = console.log, spec?: RerankerSpec): Promise<void> {
  const what = spec
    ? `createReranker(${JSON.stringify(spec)})`
    : "the default (CROSSRANK_PROVIDER, else local with lexical fallback)";
  log(`\n== Any provider: ${what}`);
  const reranker = spec === undefined ? await demoReranker(log) : await createReranker(spec);
  for (const query of QUERIES) {
    const candidates = firstStage(query);
    const results = await reranker.rerank(query, candidates.map((i) => PASSAGES[i]!.text), { topN: 3 });
    printComparison(
      log,
      query,
      candidates.map((i) => PASSAGES[i]!.id),
      results.map((r) => ({ id: PASSAGES[candidates[r.index]!]!.id, score: r.score })),
      results[0]?.servedBy ?? `${reranker.provider}:${reranker.model}`,
    );
  }
  await reranker.close?.();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await run(console.log, process.argv[2]);
