import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FIRST_WINDOW, LARGEST_WINDOW, padBatch, planBatches, sortedBatches, WINDOW_GROWTH, WindowedPlanner } from "./batching.js";
import type { EncodedPair } from "./pair-encoder.js";

const pair = (length: number, document = 0): EncodedPair => ({
  document,
  ids: Array.from({ length }, (_, i) => i + 1),
  typeIds: Array.from({ length }, (_, i) => (i < length / 2 ? 0 : 1)),
});

describe("sortedBatches", () => {
  const lengths = [50, 3, 120, 7, 7, 64, 500, 9, 31, 200, 12, 80];
  const pairs = lengths.map((l, i) => pair(l, i));

  it("puts every pair in exactly one batch", () => {
    const batches = sortedBatches(pairs, { batchTokens: 256, maxBatchSize: 4 });
    expect(batches.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
  });

  it("respects the token budget and the row limit (a single over-budget pair still runs alone)", () => {
    const batches = sortedBatches(pairs, { batchTokens: 256, maxBatchSize: 4 });
    for (const b of batches) {
      const longest = Math.max(...b.map((i) => lengths[i]!));
      expect(b.length).toBeLessThanOrEqual(4);
      if (b.length > 1) expect(b.length * longest).toBeLessThanOrEqual(256);
    }
    expect(batches.find((b) => b.includes(6))).toEqual([6]);
  });

  it("groups similar lengths so padding stays small", () => {
    const batches = sortedBatches(pairs, { batchTokens: 10_000, maxBatchSize: 3 });
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

describe("planBatches: sorted within windows, so batches can start before the last pair exists", () => {
  const limits = { batchTokens: 512, maxBatchSize: 4 };
  const lengths = fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 0, maxLength: 400 });

  it("sorts windows of 8, 32, 128, 128, … pairs each on their own, every pair in exactly one batch", () => {
    fc.assert(
      fc.property(lengths, (ls) => {
        const pairs = ls.map((l, i) => pair(l, i));
        const batches = planBatches(pairs, limits);
        expect(batches.flat().sort((a, b) => a - b)).toEqual(ls.map((_, i) => i));
        const ends: number[] = [];
        for (let end = 0, w = FIRST_WINDOW; end < ls.length; w = Math.min(LARGEST_WINDOW, w * WINDOW_GROWTH)) ends.push((end = Math.min(ls.length, end + w)));
        const windowOf = (i: number) => ends.findIndex((e) => i < e);
        for (const b of batches) expect(new Set(b.map(windowOf)).size).toBe(1);
        // Within a window, each batch is the window's own length-sorted plan.
        let start = 0;
        const expected: number[][] = [];
        for (const end of ends) {
          expected.push(...sortedBatches(pairs, limits, start, end));
          start = end;
        }
        expect(batches).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it("plans the same batches when pairs arrive one at a time as when all are there at once", () => {
    fc.assert(
      fc.property(lengths, (ls) => {
        const pairs: EncodedPair[] = [];
        const planner = new WindowedPlanner(pairs, limits);
        const taken: number[][] = [];
        for (const [i, l] of ls.entries()) {
          pairs.push(pair(l, i));
          taken.push(...planner.take());
          // Nothing is held back once a window is full.
          expect(taken.flat().length).toBe(ls.length === 0 ? 0 : filledWindows(i + 1));
        }
        taken.push(...planner.take(true));
        expect(taken).toEqual(planBatches(pairs, limits));
      }),
      { numRuns: 60 },
    );
  });
});

/** Pairs in full windows once `n` pairs exist. */
function filledWindows(n: number): number {
  let end = 0;
  for (let w = FIRST_WINDOW; end + w <= n; w = Math.min(LARGEST_WINDOW, w * WINDOW_GROWTH)) end += w;
  return end;
}

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
