import { isRerankError, type RerankProvider, type RerankResult } from "@crossrank/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The contract every crossrank provider must meet, whatever its backend. A provider package runs it with
 * `describeConformance({ name, create })` against a real backend (a local model, or a local HTTP server that
 * speaks the hosted API's wire format).
 */
export interface ConformanceTarget {
  name: string;
  create(): Promise<RerankProvider>;
  /** How far a document's score may move when the other documents in the call change (batching, padding). */
  scoreTolerance?: number;
  /**
   * Scores that are statistics of the whole candidate set (the lexical baseline's BM25): index mapping is then
   * checked by reordering the same set rather than by scoring each document alone.
   */
  scoresDependOnCandidateSet?: boolean;
  /**
   * Scores that are the documents' positions, not their content (passthrough): the two content checks (a
   * document's score wherever it stands, identical documents' equal scores) become "the input order is kept".
   */
  positional?: boolean;
  /**
   * Parts of the contract a framework adapter's API has no room for: "signal" (the framework's method takes no
   * AbortSignal), "topNValidation" (topN is a constructor option, rejected there as INVALID_CONFIG). Those checks
   * are then not registered at all, rather than counted as passing. "documentTypes": the framework's own node
   * class turns every document into a string, so a non-string document cannot reach the adapter.
   */
  frameworkLimits?: Array<"signal" | "topNValidation" | "documentTypes">;
}

export const QUERY = "how do cross encoders rank search results";

export const DOCUMENTS: readonly string[] = [
  "A cross encoder reads the query and the document together and outputs one relevance score.",
  "Bread needs flour, water, salt and time to rise before it goes into a hot oven.",
  "Search results from a fast first stage retriever are often reranked by a slower and more precise model.",
  "The whale is the largest animal in the ocean.",
  "",
  "Ranking: order documents by score, best first.",
  "A long passage about the history of a small mountain village, its church, its market and the river that runs beside the old stone bridge where people meet on summer evenings.",
  "cross encoder",
];

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function expectPermutation(results: RerankResult[], n: number): void {
  expect(results).toHaveLength(n);
  expect([...results.map((r) => r.index)].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
}

function expectSorted(results: RerankResult[]): void {
  for (let i = 1; i < results.length; i++) {
    const prev = results[i - 1]!;
    const cur = results[i]!;
    expect(prev.score > cur.score || (prev.score === cur.score && prev.index < cur.index)).toBe(true);
  }
}

async function expectCode(promise: Promise<unknown>, code: string, mention: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isRerankError(error), `expected a RerankError, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  expect((error as Error).message).toMatch(mention);
}

export function describeConformance(target: ConformanceTarget): void {
  const tolerance = target.scoreTolerance ?? 1e-5;

  describe(`provider conformance: ${target.name}`, () => {
    let provider: RerankProvider;
    beforeAll(async () => {
      provider = await target.create();
    });
    afterAll(async () => {
      await provider?.close?.();
    });

    it("names its provider and model", () => {
      expect(provider.provider).toMatch(/\S/);
      expect(provider.model).toMatch(/\S/);
    });

    it("returns every document exactly once, best first, with scores in [0, 1]", async () => {
      const results = await provider.rerank(QUERY, [...DOCUMENTS]);
      expectPermutation(results, DOCUMENTS.length);
      expectSorted(results);
      for (const r of results) {
        expect(r.score).toBeGreaterThanOrEqual(0);
        expect(r.score).toBeLessThanOrEqual(1);
        expect(Number.isFinite(r.rawScore)).toBe(true);
      }
      // A degenerate backend that ignores its input would give one score to everything.
      expect(new Set(results.map((r) => r.score)).size).toBeGreaterThan(1);
    });

    it("maps each result's index to the document it scored", async () => {
      const all = await provider.rerank(QUERY, [...DOCUMENTS]);
      if (target.positional) {
        expect(all.map((r) => r.index)).toEqual(DOCUMENTS.map((_, i) => i));
        return;
      }
      for (const r of target.scoresDependOnCandidateSet ? [] : all) {
        const [alone] = await provider.rerank(QUERY, [DOCUMENTS[r.index]!]);
        expect(alone!.index).toBe(0);
        expect(Math.abs(alone!.score - r.score)).toBeLessThanOrEqual(tolerance);
      }
      const reversed = [...DOCUMENTS].reverse();
      const back = await provider.rerank(QUERY, reversed);
      for (const r of back) {
        const original = all.find((a) => a.index === DOCUMENTS.length - 1 - r.index)!;
        expect(Math.abs(original.score - r.score)).toBeLessThanOrEqual(tolerance);
      }
    });

    it("gives identical documents identical scores and orders ties by original index", async () => {
      const docs = [DOCUMENTS[1]!, DOCUMENTS[0]!, DOCUMENTS[1]!, DOCUMENTS[3]!, DOCUMENTS[0]!];
      const results = await provider.rerank(QUERY, docs);
      expectPermutation(results, docs.length);
      if (target.positional) {
        expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
        return;
      }
      const pos = (i: number) => results.findIndex((r) => r.index === i);
      expect(results[pos(0)]!.score).toBe(results[pos(2)]!.score);
      expect(results[pos(1)]!.score).toBe(results[pos(4)]!.score);
      expect(pos(0)).toBeLessThan(pos(2));
      expect(pos(1)).toBeLessThan(pos(4));
    });

    it("keeps the best topN, the same prefix as the full ranking", async () => {
      const full = await provider.rerank(QUERY, [...DOCUMENTS]);
      const top3 = await provider.rerank(QUERY, [...DOCUMENTS], { topN: 3 });
      expect(top3.map((r) => r.index)).toEqual(full.slice(0, 3).map((r) => r.index));
      const over = await provider.rerank(QUERY, [...DOCUMENTS], { topN: 1000 });
      expectPermutation(over, DOCUMENTS.length);
    });

    it("accounts for every document of a large candidate set", async () => {
      const many = Array.from({ length: 120 }, (_, i) => `${DOCUMENTS[i % DOCUMENTS.length]} (copy ${i})`);
      const results = await provider.rerank(QUERY, many);
      expectPermutation(results, many.length);
      expectSorted(results);
    });

    it("returns [] for no documents", async () => {
      expect(await provider.rerank(QUERY, [])).toEqual([]);
      expect(await provider.rerank(QUERY, [], { topN: 5 })).toEqual([]);
    });

    it("never mutates its inputs", async () => {
      const docs = deepFreeze([...DOCUMENTS]);
      const options = deepFreeze({ topN: 4 });
      const results = await provider.rerank(QUERY, docs, options);
      expect(results).toHaveLength(4);
      expect(docs).toEqual(DOCUMENTS);
    });

    it("rejects bad input with a clear INVALID_INPUT error", async () => {
      await expectCode(provider.rerank("", ["a"]), "INVALID_INPUT", /query is empty/);
      await expectCode(provider.rerank("   ", ["a"]), "INVALID_INPUT", /query is empty/);
      await expectCode(provider.rerank(42 as unknown as string, ["a"]), "INVALID_INPUT", /query must be a string/);
      await expectCode(provider.rerank(QUERY, "a" as unknown as string[]), "INVALID_INPUT", /must be an array/);
    });

    if (!target.frameworkLimits?.includes("documentTypes")) {
      it("rejects a document that is not a string", async () => {
        await expectCode(provider.rerank(QUERY, ["a", 7 as unknown as string]), "INVALID_INPUT", /documents\[1\] must be a string/);
        await expectCode(provider.rerank(QUERY, ["a", null as unknown as string]), "INVALID_INPUT", /documents\[1\]/);
      });
    }

    if (!target.frameworkLimits?.includes("topNValidation")) {
      it("rejects a topN that is not a positive integer", async () => {
        for (const topN of [0, -1, 1.5, Number.NaN, "3"]) {
          await expectCode(provider.rerank(QUERY, ["a"], { topN: topN as number }), "INVALID_INPUT", /topN must be a positive integer/);
        }
      });
    }

    if (!target.frameworkLimits?.includes("signal")) {
      it("rejects an already-aborted signal without scoring", async () => {
        const controller = new AbortController();
        controller.abort();
        await expectCode(provider.rerank(QUERY, [...DOCUMENTS], { signal: controller.signal }), "ABORTED", /aborted/);
      });
    }
  });
}
