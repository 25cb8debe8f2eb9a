import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { estimateTokens } from "./token-budget.js";

/** The estimate's definition, walked one character at a time. */
function reference(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const ch of text) {
    if (ch.charCodeAt(0) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 3 + other * 1.5);
}

describe("estimateTokens", () => {
  it("is the per-character estimate for any text, lone surrogates included", () => {
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.string({ unit: "grapheme", maxLength: 200 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(estimateTokens(t)).toBe(reference(t));
      }),
      { numRuns: 500 },
    );
  });

  it("past a million characters stays an upper bound, exact for ASCII and 2-byte scripts", () => {
    const ascii = "tide harbour ".repeat(100_000);
    expect(estimateTokens(ascii)).toBe(reference(ascii));
    const cyrillic = "прилив ".repeat(200_000);
    expect(estimateTokens(cyrillic)).toBe(reference(cyrillic));
    const others = ["潮の満ち引き ".repeat(200_000), "tide 🌊 ".repeat(200_000), `${"x".repeat(1_100_000)}é`];
    for (const big of others) {
      expect(big.length).toBeGreaterThan(1 << 20);
      expect(estimateTokens(big)).toBeGreaterThanOrEqual(reference(big));
      expect(estimateTokens(big)).toBeLessThanOrEqual(2 * reference(big));
    }
  });

  it("does not walk a 16 MB text: far under the time a per-character walk takes", () => {
    const big = "word1 word2 ".repeat(1_400_000);
    const started = performance.now();
    const tokens = estimateTokens(big);
    const elapsed = performance.now() - started;
    expect(tokens).toBe(Math.ceil(big.length / 3));
    // The walk took 150-210 ms here; loose, the machine is shared.
    expect(elapsed).toBeLessThan(50);
  });
});
