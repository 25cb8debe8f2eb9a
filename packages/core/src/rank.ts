import type { DocumentScore, RerankResult } from "./types.js";

/** Best first; equal scores keep the caller's order, so results are deterministic. */
export function rankScores(scores: readonly DocumentScore[], topN?: number): RerankResult[] {
  const results = scores.map((s, index) => ({ index, score: s.score, rawScore: s.rawScore }));
  results.sort((a, b) => b.score - a.score || a.index - b.index);
  return topN === undefined ? results : results.slice(0, topN);
}
