import { describe, expect, it } from "vitest";
import { mrrAt, ndcgAt, recallAt } from "./metrics.js";

const judged = new Map([
  ["a", 3],
  ["b", 0],
  ["c", 1],
  ["d", 2],
  ["unretrieved", 2],
]);

describe("metrics (trec_eval definitions)", () => {
  it("nDCG@k uses linear gains, log2 discounts and an ideal from every judged document", () => {
    const dcg = 3 / Math.log2(2) + 0 + 1 / Math.log2(4);
    const idcg = 3 / Math.log2(2) + 2 / Math.log2(3) + 2 / Math.log2(4) + 1 / Math.log2(5);
    expect(ndcgAt(["a", "b", "c"], judged, 10)).toBeCloseTo(dcg / idcg, 12);
    expect(ndcgAt(["a", "d", "unretrieved", "c"], judged, 10)).toBeCloseTo(1, 12);
    expect(ndcgAt(["b", "a"], judged, 1)).toBe(0);
    expect(ndcgAt(["x"], new Map(), 10)).toBe(0);
  });

  it("MRR@k and Recall@k use a relevance level", () => {
    expect(mrrAt(["b", "c", "d"], judged, 10, 2)).toBeCloseTo(1 / 3, 12);
    expect(mrrAt(["b", "c", "d"], judged, 10, 1)).toBeCloseTo(1 / 2, 12);
    expect(mrrAt(["b", "c", "d"], judged, 2, 2)).toBe(0);
    expect(recallAt(["a", "b", "d"], judged, 10, 2)).toBeCloseTo(2 / 3, 12);
    expect(recallAt(["a", "b", "d"], judged, 1, 2)).toBeCloseTo(1 / 3, 12);
  });
});
