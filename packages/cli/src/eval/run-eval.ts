import type { RerankProvider } from "@crossrank/core";
import type { EvalDataset } from "./datasets.js";
import { meanMetrics, scoreRanking, type QueryMetrics } from "./metrics.js";

export interface QueryResult {
  id: string;
  query: string;
  input: QueryMetrics;
  reranked?: QueryMetrics;
  /** Reranked document ids, best first, with their scores (for --run). */
  ranking?: { id: string; score: number }[];
}

export interface EvalReport {
  dataset: string;
  queries: number;
  /** Candidates asked for per query (--depth). */
  depth: number;
  /** Candidates the queries actually had: fewer than `depth` when the first stage returned fewer. */
  candidates: { min: number; max: number };
  relevanceLevel: number;
  provider?: string;
  input: QueryMetrics;
  reranked?: QueryMetrics;
  perQuery: QueryResult[];
}

/**
 * Scores the first-stage order and, with a reranker, the reranked order of every query. The reranker is made by
 * `create` and closed here.
 */
export async function evaluate(
  dataset: EvalDataset,
  options: { depth: number; create?: () => Promise<RerankProvider>; onQuery?: (done: number, total: number) => void },
): Promise<EvalReport> {
  const reranker: RerankProvider | undefined = options.create ? await options.create() : undefined;
  const perQuery: QueryResult[] = [];
  try {
    for (const [i, q] of dataset.queries.entries()) {
      const inputOrder = q.candidates.map((c) => c.id);
      const row: QueryResult = { id: q.id, query: q.text, input: scoreRanking(inputOrder, q.judged, dataset.relevanceLevel) };
      if (reranker) {
        const results = await reranker.rerank(
          q.text,
          q.candidates.map((c) => c.text),
        );
        row.ranking = results.map((r) => ({ id: q.candidates[r.index]!.id, score: r.score }));
        row.reranked = scoreRanking(row.ranking.map((r) => r.id), q.judged, dataset.relevanceLevel);
      }
      perQuery.push(row);
      options.onQuery?.(i + 1, dataset.queries.length);
    }
  } finally {
    await reranker?.close?.();
  }
  return {
    dataset: dataset.name,
    queries: perQuery.length,
    depth: options.depth,
    candidates: candidateRange(dataset),
    relevanceLevel: dataset.relevanceLevel,
    provider: reranker ? `${reranker.provider}:${reranker.model}` : undefined,
    input: meanMetrics(perQuery.map((r) => r.input)),
    reranked: reranker ? meanMetrics(perQuery.map((r) => r.reranked!)) : undefined,
    perQuery,
  };
}

function candidateRange(dataset: EvalDataset): { min: number; max: number } {
  const counts = dataset.queries.map((q) => q.candidates.length);
  return counts.length ? { min: Math.min(...counts), max: Math.max(...counts) } : { min: 0, max: 0 };
}

/** TREC run format: qid Q0 docid rank score tag. */
export function toTrecRun(report: EvalReport, tag: string): string {
  return report.perQuery.flatMap((q) => (q.ranking ?? []).map((r, i) => `${q.id} Q0 ${r.id} ${i + 1} ${r.score.toFixed(6)} ${tag}`)).join("\n") + "\n";
}
