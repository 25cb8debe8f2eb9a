import { describe, expect, it } from "vitest";
import { padBatch, planBatches } from "./batching.js";
import type { EncodedPair } from "./pair-encoder.js";

const pair = (length: number, document = 0): EncodedPair => ({
  document,
  ids: Array.from({ length }, (_, i) => i + 1),
  typeIds: Array.from({ length }, (_, i) => (i < length / 2 ? 0 : 1)),
});

describe("planBatches", () => {
  const lengths = [50, 3, 120, 7, 7, 64, 500, 9, 31, 200, 12, 80];
  const pairs = lengths.map((l, i) => pair(l, i));

  it("puts every pair in exactly one batch", () => {
    const batches = planBatches(pairs, { batchTokens: 256, maxBatchSize: 4 });
    expect(batches.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
  });

  it("respects the token budget and the row limit (a single over-budget pair still runs alone)", () => {
    const batches = planBatches(pairs, { batchTokens: 256, maxBatchSize: 4 });
    for (const b of batches) {
      const longest = Math.max(...b.map((i) => lengths[i]!));
      expect(b.length).toBeLessThanOrEqual(4);
      if (b.length > 1) expect(b.length * longest).toBeLessThanOrEqual(256);
    }
    expect(batches.find((b) => b.includes(6))).toEqual([6]);
  });

  it("groups similar lengths so padding stays small", () => {
    const batches = planBatches(pairs, { batchTokens: 10_000, maxBatchSize: 3 });
    const padded = batches.reduce((n, b) => n + b.length * Math.max(...b.map((i) => lengths[i]!)), 0);
    const real = lengths.reduce((a, b) => a + b, 0);
    expect(batches.map((b) => b.map((i) => lengths[i]))).toEqual([
      [3, 7, 7],
      [9, 12, 31],
      [50, 64, 80],
      [120, 200, 500],
    ]);
    // The same row limit in arrival order pads far more.
    let arrival = 0;
    for (let i = 0; i < lengths.length; i += 3) arrival += 3 * Math.max(...lengths.slice(i, i + 3));
    expect(padded).toBe(1854);
    expect(arrival).toBe(2652);
    expect(padded).toBeGreaterThan(real);
  });
});

describe("padBatch", () => {
  it("right-pads ids with the pad id and masks the padding", () => {
    const pairs = [pair(3), pair(1)];
    const { width, inputIds, attentionMask, tokenTypeIds } = padBatch(pairs, [1, 0], 9);
    expect(width).toBe(3);
    expect(Array.from(inputIds, Number)).toEqual([1, 9, 9, 1, 2, 3]);
    expect(Array.from(attentionMask, Number)).toEqual([1, 0, 0, 1, 1, 1]);
    expect(Array.from(tokenTypeIds, Number)).toEqual([0, 0, 0, 0, 0, 1]);
  });
});
