import { bm25Scores, createReranker, type RerankProvider, type RerankResult } from "@crossrank/core";
import { afterAll, describe, expect, it } from "vitest";
import { failure } from "../support/failure.js";
import { watchEventLoop } from "../support/event-loop.js";

/**
 * Huge queries, documents and candidate sets against the lexical (BM25) provider, the usual last fallback. The
 * event loop is watched by a 5 ms interval; a gap counts only the time the main thread itself ran (Linux reports
 * it, to the 10 ms tick), so a loaded machine does not fail the test. Unsliced, these inputs held the thread for
 * 0.1 to 3 seconds in one stretch.
 */
const MAX_STALL_MS = 150;
const MB = 1_000_000;


/** Every document once, sorted by score, the raw scores exactly those of the synchronous bm25Scores. */
function expectScores(results: RerankResult[], query: string, documents: string[]): void {
  expect(results).toHaveLength(documents.length);
  expect(new Set(results.map((r) => r.index)).size).toBe(documents.length);
  for (let i = 1; i < results.length; i++) expect(results[i - 1]!.score).toBeGreaterThanOrEqual(results[i]!.score);
  const direct = bm25Scores(query, documents, 1.2, 0.75);
  for (const r of results) expect(r.rawScore).toBe(direct[r.index]!.rawScore);
}

/** About `chars` characters of words drawn from a vocabulary of `vocabulary` distinct ones. */
const words = (chars: number, vocabulary: number) => {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < chars; i++) {
    const w = `w${i % vocabulary}x`;
    parts.push(w);
    length += w.length + 1;
  }
  return parts.join(" ");
};

const cases: [string, () => [string, string[]]][] = [
  ["one document of a million distinct words", () => ["w1x w2x", [words(8 * MB, MB)]]],
  ["a 12 MB document", () => ["w1x", [words(12 * MB, 50_000), "w1x"]]],
  ["a 20 MB document", () => ["apple", ["apple banana ".repeat(20 * MB / 13), "banana"]]],
  ["a 20 MB query", () => ["apple banana ".repeat(20 * MB / 13), ["apple", "cherry"]]],
  [
    "a 500k-term query against 200 documents",
    () => [words(4 * MB, 500_000), words(1_000, 500_000).split(" ").slice(0, 200)],
  ],
  ["a run of 5.2 million CJK characters", () => ["中".repeat(5_200_000), ["中".repeat(5_200_000), "中"]]],
];

const seen: Record<string, [number, number]> = {};
afterAll(() => {
  // The figures behind the bound, for the record of what this machine showed.
  console.log(`lexical: [longest hold, longest wall-clock gap] per case (ms): ${JSON.stringify(seen)}`);
});

describe.each([
  ["lexical", () => createReranker("lexical")],
  ["lexical with a result cache", () => createReranker({ provider: "lexical", cache: { max: 1_000 } })],
])("%s: huge inputs leave the event loop free", (name, make) => {
  it.each(cases)("%s", async (label, input) => {
    const [query, documents] = input();
    const reranker: RerankProvider = await make();
    const { value, stallMs, wallMs } = await watchEventLoop(() => reranker.rerank(query, documents));
    seen[`${name}: ${label}`] = [Math.round(stallMs), Math.round(wallMs)];
    expectScores(value, query, documents);
    expect(stallMs).toBeLessThan(MAX_STALL_MS);
  }, 60_000);
});

describe("lexical: a document of 2.2 million distinct words", () => {
  // A Map rehashes all its entries in one step as it grows past 2^21 of them: half a second or more.
  it("is counted with no long step, each query word scored once", async () => {
    const reranker = await createReranker("lexical");
    const document = Array.from({ length: 2_200_000 }, (_, i) => `w${i}x`).join(" ");
    const { value, stallMs, wallMs } = await watchEventLoop(() => reranker.rerank("w1x w2x", [document]));
    seen["2.2 million distinct words"] = [Math.round(stallMs), Math.round(wallMs)];
    // One document holding each query word once, at the average length: 2 · idf with idf = ln(1 + 0.5 / 1.5).
    expect(value).toHaveLength(1);
    expect(value[0]!.rawScore).toBeCloseTo(2 * Math.log(4 / 3), 12);
    expect(stallMs).toBeLessThan(MAX_STALL_MS);
  }, 60_000);
});

describe("lexical: aborting a huge call", () => {
  it("stops mid-way with ABORTED, soon after the abort", async () => {
    const reranker = await createReranker("lexical");
    const documents = [words(20 * MB, 200_000), "w1x"];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const error = await failure(reranker.rerank("w1x w2x", documents, { signal: controller.signal }));
    // The whole call takes seconds; unsliced, the first document alone ran for a second before the abort was seen.
    expect(performance.now() - started).toBeLessThan(500);
    expect(error.code).toBe("ABORTED");
  }, 30_000);
});
