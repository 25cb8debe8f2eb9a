/** Graded judgments of one query: document id → grade (0 = not relevant). */
export type Judgments = Map<string, number>;

/**
 * nDCG@k as trec_eval computes it: gain = grade (linear), discount log2(rank + 1), the ideal ranking built from
 * every judged document of the query (not only the retrieved ones).
 */
export function ndcgAt(ranking: readonly string[], judged: Judgments, k: number): number {
  let dcg = 0;
  ranking.slice(0, k).forEach((id, i) => {
    const grade = judged.get(id) ?? 0;
    if (grade > 0) dcg += grade / Math.log2(i + 2);
  });
  const ideal = [...judged.values()].filter((g) => g > 0).sort((a, b) => b - a).slice(0, k);
  const idcg = ideal.reduce((sum, g, i) => sum + g / Math.log2(i + 2), 0);
  return idcg === 0 ? 0 : dcg / idcg;
}

/** Reciprocal rank of the first relevant document (grade ≥ level) within the top k. */
export function mrrAt(ranking: readonly string[], judged: Judgments, k: number, level: number): number {
  const i = ranking.slice(0, k).findIndex((id) => (judged.get(id) ?? 0) >= level);
  return i === -1 ? 0 : 1 / (i + 1);
}

/** Share of the query's relevant documents (grade ≥ level) found in the top k. */
export function recallAt(ranking: readonly string[], judged: Judgments, k: number, level: number): number {
  const relevant = [...judged.entries()].filter(([, g]) => g >= level).map(([id]) => id);
  if (relevant.length === 0) return 0;
  const top = new Set(ranking.slice(0, k));
  return relevant.filter((id) => top.has(id)).length / relevant.length;
}

export interface QueryMetrics {
  "nDCG@10": number;
  "MRR@10": number;
  "Recall@10": number;
  "Recall@100": number;
}

export function scoreRanking(ranking: readonly string[], judged: Judgments, level: number): QueryMetrics {
  return {
    "nDCG@10": ndcgAt(ranking, judged, 10),
    "MRR@10": mrrAt(ranking, judged, 10, level),
    "Recall@10": recallAt(ranking, judged, 10, level),
    "Recall@100": recallAt(ranking, judged, 100, level),
  };
}

export function meanMetrics(rows: QueryMetrics[]): QueryMetrics {
  const keys = ["nDCG@10", "MRR@10", "Recall@10", "Recall@100"] as const;
  const out = {} as QueryMetrics;
  for (const k of keys) out[k] = rows.reduce((sum, r) => sum + r[k], 0) / Math.max(rows.length, 1);
  return out;
}
