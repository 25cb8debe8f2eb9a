/**
 * Mastra's rerankWithScorer with crossrank: vector-search results (as Mastra's query tools return them) rescored
 * by CrossEncoderRelevanceScorer. Mastra asks for one score per result; crossrank answers them all with one
 * rerank() per query. `pnpm --filter @crossrank/example-mastra start`
 *
 * The same scorer goes into createVectorQueryTool({ reranker: { model: scorer } }).
 */
import { pathToFileURL } from "node:url";
import { demoReranker, embedText, PASSAGES, printComparison, QUERIES } from "@crossrank/example-corpus";
import { CrossEncoderRelevanceScorer } from "@crossrank/mastra";
import { rerankWithScorer } from "@mastra/rag";

const dot = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);

export async function run(log: (line: string) => void = console.log): Promise<void> {
  log("== Mastra: vector search → rerankWithScorer({ scorer: new CrossEncoderRelevanceScorer(…) })");
  const reranker = await demoReranker(log);
  const scorer = new CrossEncoderRelevanceScorer({ reranker });
  const vectors = PASSAGES.map((p) => embedText(p.text));
  for (const query of QUERIES) {
    const q = embedText(query);
    const results = PASSAGES.map((p, i) => ({ id: p.id, score: dot(q, vectors[i]!), metadata: { text: p.text } }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 20);
    // All the weight on the cross-encoder: Mastra's default mixes in the vector score and the position.
    const ranked = await rerankWithScorer({ results, query, scorer, options: { topK: 3, weights: { semantic: 1, vector: 0, position: 0 } } });
    printComparison(
      log,
      query,
      results.map((r) => r.id),
      ranked.map((r) => ({ id: r.result.id, score: r.score })),
      `${reranker.provider}:${reranker.model}`,
    );
  }
  await reranker.close?.();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await run();
