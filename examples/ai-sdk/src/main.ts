/**
 * The AI SDK's rerank() with a crossrank model: the first stage's candidates (a vector search over the examples'
 * corpus) reranked, best 3 kept. `pnpm --filter @crossrank/example-ai-sdk start`
 *
 * With a real model: `crossrank.reranking("local:ms-marco-MiniLM-L-6-v2")`, or any crossrank config string such
 * as "cohere:rerank-v3.5"; here the examples' shared reranker (local model, lexical fallback when offline).
 */
import { pathToFileURL } from "node:url";
import { crossrank } from "@crossrank/ai-sdk";
import { demoReranker, embedText, PASSAGES, printComparison, QUERIES } from "@crossrank/example-corpus";
import { rerank } from "ai";

const dot = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);

export async function run(log: (line: string) => void = console.log): Promise<void> {
  log("== Vercel AI SDK: vector search → rerank({ model: crossrank.reranking(…) })");
  const reranker = await demoReranker(log);
  const model = crossrank.reranking(reranker);
  const vectors = PASSAGES.map((p) => embedText(p.text));
  for (const query of QUERIES) {
    const q = embedText(query);
    const candidates = PASSAGES.map((p, i) => ({ p, s: dot(q, vectors[i]!) }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 20)
      .map((c) => c.p);
    // Object documents work too: each becomes "key: value" lines (the result carries a compatibility warning).
    const { ranking, providerMetadata } = await rerank({ model, query, documents: candidates.map((c) => c.text), topN: 3 });
    const servedBy = (providerMetadata?.crossrank?.ranking as { servedBy: string }[] | undefined)?.[0]?.servedBy ?? model.modelId;
    printComparison(
      log,
      query,
      candidates.map((c) => c.id),
      ranking.map((r) => ({ id: candidates[r.originalIndex]!.id, score: r.score })),
      servedBy,
    );
  }
  await reranker.close?.();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await run();
