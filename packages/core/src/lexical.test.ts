import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RerankError } from "./errors.js";
import { bm25Scores, bm25ScoresInPieces, createLexicalProvider, tokenize, tokenizeInPieces } from "./lexical.js";

const text = "low tide at the wall, ferry at dawn ".repeat(40);
const documents = Array.from({ length: 5_000 }, (_, i) => `harbour note ${i}: ${text}`);

describe("lexical provider on a large call", () => {
  it("gives the event loop turns: an abort lands in the middle of the work", async () => {
    const controller = new AbortController();
    setImmediate(() => controller.abort());
    const error = await createLexicalProvider({ provider: "lexical" })
      .rerank("low tide", documents, { signal: controller.signal })
      .then(
        () => undefined,
        (e: RerankError) => e,
      );
    expect(error?.code).toBe("ABORTED");
  });

  it("scores exactly as bm25Scores does", async () => {
    const some = documents.slice(0, 200).map((d, i) => (i % 7 === 0 ? `${d} ferry ferry` : d));
    const results = await createLexicalProvider({ provider: "lexical", k1: 1.5, b: 0.5 }).rerank("ferry tide", some);
    const direct = bm25Scores("ferry tide", some, 1.5, 0.5);
    for (const r of results) expect(r.rawScore).toBe(direct[r.index]!.rawScore);
    expect(results).toHaveLength(some.length);
  });
});

// The whole-text tokenizer and BM25 the pieced ones must match, result for result.
const STOP = new Set(
  (
    "a an and are as at be by for from has have how in is it its of on or that the this to was were what when where " +
    "which who why will with do does did can you your i we they he she"
  ).split(" "),
);
const wholeTokens = (t: string) =>
  (t.toLowerCase().normalize("NFKC").match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP.has(w));
function wholeBm25(query: string, docs: readonly string[], k1: number, b: number): number[] {
  const terms = [...new Set(wholeTokens(query))];
  const tokens = docs.map(wholeTokens);
  const avg = tokens.reduce((s, d) => s + d.length, 0) / Math.max(docs.length, 1) || 1;
  const df = new Map<string, number>();
  const tfs = tokens.map((d) => {
    const tf = new Map<string, number>();
    for (const t of d) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const t of tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
    return tf;
  });
  return tfs.map((tf, i) => {
    let raw = 0;
    for (const term of terms) {
      const f = tf.get(term);
      if (!f) continue;
      const nq = df.get(term)!;
      const idf = Math.log(1 + (docs.length - nq + 0.5) / (nq + 0.5));
      raw += (idf * f * (k1 + 1)) / (f + k1 * (1 - b + (b * tokens[i]!.length) / avg));
    }
    return raw;
  });
}

// Characters whose lower case or normal form depends on their neighbours, or that join across a cut: final
// sigma, combining marks of different classes, Hangul jamo that compose, half-width kana and its voicing mark,
// ligatures, a dotted capital I, Thai and Lao AM, Indic and Arabic marks, surrogate pairs and a lone surrogate,
// besides plain letters, digits and space.
const TRICKY = [
  ..."aBeΣσΩд1٣ \n.':中文가각ㄱㅏ\u1100\u1161\u11a8",
  ..."\u0301\u0316\u0345\u0327\u0308İﬀ①ｶﾞ\u00a0\u3000-",
  ..."กำ\u0e31ຳक\u093c\u0bbe\u0bc6\u1b05\u1b35ب\u0653",
  "😀",
  "👍",
  "\u{1f3fd}",
  "𠀀",
  "\ud800",
  "\udc00",
];
const trickyText = fc.array(fc.constantFrom(...TRICKY), { maxLength: 40, size: "medium" }).map((cs) => cs.join(""));

describe("tokenizing in pieces", () => {
  it("gives exactly the tokens of the whole text, whatever the piece size", () => {
    fc.assert(
      fc.property(trickyText, fc.integer({ min: 1, max: 12 }), (t, size) => {
        expect(tokenizeInPieces(t, size)).toEqual(wholeTokens(t));
      }),
      { numRuns: 5_000 },
    );
  });

  it("joins a token that spans many pieces", () => {
    const long = "Ωmega中文123".repeat(50);
    expect(tokenizeInPieces(`x ${long} y`, 4)).toEqual(["x", long.toLowerCase(), "y"]);
  });

  it("cuts between characters outside the BMP without splitting a surrogate pair", () => {
    const run = "𠀀".repeat(40_000);
    expect(tokenizeInPieces(`${run} 😀😀`, 1_000)).toEqual([run]);
  });

  it("keeps a single token of millions of CJK characters whole instead of overflowing the stack", async () => {
    const run = "中".repeat(5_200_000);
    expect(tokenize(run)).toEqual([run]);
    const results = await createLexicalProvider({ provider: "lexical" }).rerank(`${run} 字`, [run, "字"]);
    expect(results.map((r) => r.index)).toEqual([0, 1]);
    expect(results[0]!.rawScore).toBeGreaterThan(0);
    expect(results[0]!.rawScore).toBe(bm25Scores(`${run} 字`, [run, "字"], 1.2, 0.75)[0]!.rawScore);
  }, 30_000);
});

describe("BM25 in steps", () => {
  const docs = fc.array(trickyText, { minLength: 1, maxLength: 6 });
  const k1 = fc.double({ min: 0, max: 3, noNaN: true });
  const b = fc.double({ min: 0, max: 1, noNaN: true });

  it("scores exactly as BM25 over whole texts does, with any piece size", () => {
    fc.assert(
      fc.property(trickyText, docs, k1, b, fc.integer({ min: 1, max: 9 }), (q, ds, k, bb, size) => {
        const expected = wholeBm25(q, ds, k, bb);
        expect(bm25ScoresInPieces(q, ds, k, bb, size).map((s) => s.rawScore)).toEqual(expected);
        expect(bm25Scores(q, ds, k, bb).map((s) => s.rawScore)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it("the sliced provider returns the synchronous scores", async () => {
    const words = fc.constantFrom("tide", "ferry", "wall", "dawn", "Σοφία", "中文", "naïve", "the");
    const sentence = fc.array(words, { minLength: 1, maxLength: 12 }).map((w) => w.join(" "));
    await fc.assert(
      fc.asyncProperty(sentence, fc.array(sentence, { minLength: 1, maxLength: 8 }), async (q, ds) => {
        const results = await createLexicalProvider({ provider: "lexical" }).rerank(q, ds);
        const direct = bm25Scores(q, ds, 1.2, 0.75);
        expect(results).toHaveLength(ds.length);
        for (const r of results) expect(r.rawScore).toBe(direct[r.index]!.rawScore);
      }),
      { numRuns: 200 },
    );
  });
});
