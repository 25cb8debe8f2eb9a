import { describe, expect, it } from "vitest";
import { defineProvider } from "./define-provider.js";
import { RerankError } from "./errors.js";
import type { DocumentScore, ScoringBackend } from "./types.js";

/** A backend that scores by document length and records what it was asked. */
function lengthBackend(overrides: Partial<ScoringBackend> = {}) {
  const calls: (readonly string[])[] = [];
  const backend: ScoringBackend = {
    provider: "test",
    model: "length",
    async score(_query, documents) {
      calls.push(documents);
      return documents.map((d) => ({ score: Math.min(1, d.length / 100), rawScore: d.length }));
    },
    ...overrides,
  };
  return { backend, calls };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: RerankError) => e.code,
  );
}

describe("defineProvider", () => {
  it("sorts by score and maps indices back to the caller's array", async () => {
    const { backend } = lengthBackend();
    const r = await defineProvider(backend).rerank("q", ["aa", "a", "aaaa", "aaa"]);
    expect(r.map((x) => x.index)).toEqual([2, 3, 0, 1]);
    expect(r[0]).toEqual({ index: 2, score: 0.04, rawScore: 4, servedBy: "test:length" });
  });

  it("breaks ties by original index", async () => {
    const { backend } = lengthBackend();
    const r = await defineProvider(backend).rerank("q", ["bb", "a", "cc", "dd", "e"]);
    expect(r.map((x) => x.index)).toEqual([0, 2, 3, 1, 4]);
  });

  it("does not call the backend for an empty list", async () => {
    const { backend, calls } = lengthBackend();
    expect(await defineProvider(backend).rerank("q", [])).toEqual([]);
    expect(calls).toHaveLength(0);
  });

  it("validates before calling the backend", async () => {
    const { backend, calls } = lengthBackend();
    const p = defineProvider(backend);
    expect(await codeOf(p.rerank("", ["a"]))).toBe("INVALID_INPUT");
    expect(await codeOf(p.rerank("q", ["a"], { topN: 0 }))).toBe("INVALID_INPUT");
    expect(await codeOf(p.rerank("q", ["a"], { signal: "x" as unknown as AbortSignal }))).toBe("INVALID_INPUT");
    expect(calls).toHaveLength(0);
  });

  it("hands the backend a frozen copy, never the caller's array", async () => {
    const { backend, calls } = lengthBackend();
    const docs = ["a", "b"];
    await defineProvider(backend).rerank("q", docs);
    expect(calls[0]).not.toBe(docs);
    expect(Object.isFrozen(calls[0])).toBe(true);
  });

  it.each([
    ["too few scores", [{ score: 0.5, rawScore: 1 }]],
    ["a score above 1", [{ score: 1.5, rawScore: 1 }, { score: 0.1, rawScore: 1 }]],
    ["a NaN score", [{ score: Number.NaN, rawScore: 1 }, { score: 0.1, rawScore: 1 }]],
    ["a missing entry", [undefined, { score: 0.1, rawScore: 1 }]],
  ])("rejects a backend result with %s", async (_label, scores) => {
    const { backend } = lengthBackend({ score: async () => scores as DocumentScore[] });
    const error = await defineProvider(backend).rerank("q", ["a", "b"]).catch((e: RerankError) => e);
    expect(error).toBeInstanceOf(RerankError);
    expect((error as RerankError).code).toBe("INVALID_RESPONSE");
    expect((error as RerankError).provider).toBe("test");
  });

  it("wraps backend failures in PROVIDER_ERROR with the cause", async () => {
    const boom = new Error("socket hang up");
    const { backend } = lengthBackend({ score: async () => Promise.reject(boom) });
    const error = (await defineProvider(backend).rerank("q", ["a"]).catch((e) => e)) as RerankError;
    expect(error.code).toBe("PROVIDER_ERROR");
    expect(error.message).toContain("socket hang up");
    expect(error.cause).toBe(boom);
  });

  it("reports an abort during scoring as ABORTED", async () => {
    const controller = new AbortController();
    const { backend } = lengthBackend({
      score: async () => {
        controller.abort();
        throw new Error("cancelled");
      },
    });
    expect(await codeOf(defineProvider(backend).rerank("q", ["a"], { signal: controller.signal }))).toBe("ABORTED");
  });

  it("refuses to rerank after close and closes the backend once", async () => {
    let closes = 0;
    const { backend } = lengthBackend({ close: async () => void closes++ });
    const p = defineProvider(backend);
    await p.close!();
    await p.close!();
    expect(closes).toBe(1);
    expect(await codeOf(p.rerank("q", ["a"]))).toBe("CLOSED");
  });
});
