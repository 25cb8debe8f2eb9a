import { describe, expect, it } from "vitest";
import { defineProvider } from "./define-provider.js";
import { RerankError } from "./errors.js";
import { createFallbackChain } from "./fallback.js";
import { createLexicalProvider, createPassthroughProvider } from "./lexical.js";
import { withResultCache } from "./result-cache.js";
import type { RerankProvider } from "./types.js";

/** A per-document scorer standing in for a cross-encoder: the share of the query's letters the document has. */
function letterScore(query: string, document: string): number {
  const letters = new Set(query.toLowerCase().replace(/[^a-z]/g, ""));
  const found = [...letters].filter((c) => document.toLowerCase().includes(c)).length;
  return letters.size === 0 ? 0 : found / letters.size;
}

/** A primary that fails while `down` is set, and records the documents of every call it scores. */
function primary() {
  const state = { down: false, calls: [] as string[][] };
  const provider = defineProvider({
    provider: "test",
    model: "letters",
    async score(query, documents) {
      if (state.down) throw new Error("backend unavailable");
      state.calls.push([...documents]);
      return documents.map((d) => ({ score: letterScore(query, d), rawScore: letterScore(query, d) * 10 }));
    },
  });
  return { state, provider };
}

async function chainOf(first: RerankProvider, fallback: RerankProvider) {
  return createFallbackChain(
    [
      { label: "test:letters", create: async () => first },
      { label: "passthrough", create: async () => fallback },
    ],
    () => undefined,
  );
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: RerankError) => e.code,
  );
}

const passthrough = () => createPassthroughProvider({ provider: "passthrough" });

const DOCS = ["harbour tide tables", "bread recipe", "ferry times", "low water"];
const QUERY = "when is low tide";

describe("withResultCache", () => {
  it("never keeps a fallback's scores: once the primary is back, every score is the primary's", async () => {
    const { state, provider } = primary();
    const cached = withResultCache(await chainOf(provider, passthrough()), { max: 100 });
    state.down = true;
    const degraded = await cached.rerank(QUERY, DOCS);
    expect(degraded.every((r) => r.servedBy === "passthrough:input-order")).toBe(true);
    state.down = false;
    const recovered = await cached.rerank(QUERY, DOCS);
    expect(recovered.every((r) => r.servedBy === "test:letters")).toBe(true);
    expect(recovered.map((r) => r.score).sort()).toEqual(DOCS.map((d) => letterScore(QUERY, d)).sort());
    expect(state.calls).toEqual([DOCS]);
  });

  it("does not rank cached primary scores next to a fallback's: a partly cached call goes whole to it", async () => {
    const { state, provider } = primary();
    const cached = withResultCache(await chainOf(provider, passthrough()), { max: 100 });
    await cached.rerank(QUERY, DOCS.slice(0, 2));
    state.down = true;
    const mixed = await cached.rerank(QUERY, DOCS);
    expect(new Set(mixed.map((r) => r.servedBy))).toEqual(new Set(["passthrough:input-order"]));
    expect(mixed.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    // While the primary is down, a fully cached call is still answered with its scores.
    const fromCache = await cached.rerank(QUERY, DOCS.slice(0, 2), { topN: 1 });
    expect(fromCache).toHaveLength(1);
    expect(fromCache[0]!.servedBy).toBe("test:letters");
  });

  it("caches an order-dependent provider per whole call: the same documents reordered keep their order", async () => {
    const cached = withResultCache(passthrough(), { max: 100 });
    await cached.rerank("q", ["a", "b", "c"]);
    const reordered = await cached.rerank("q", ["c", "a", "b"]);
    expect(reordered.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(reordered.map((r) => r.score)).toEqual([1, 1 / 2, 1 / 3]);
  });

  it("caches BM25 per whole call: a document's score comes from the candidate set it was asked with", async () => {
    const plain = createLexicalProvider({ provider: "lexical" });
    const cached = withResultCache(createLexicalProvider({ provider: "lexical" }), { max: 100 });
    const first = ["low tide today", "tide tables", "harbour tide"];
    const second = ["low tide today", "bread"];
    expect(await cached.rerank(QUERY, first)).toEqual(await plain.rerank(QUERY, first));
    expect(await cached.rerank(QUERY, second)).toEqual(await plain.rerank(QUERY, second));
    expect(await cached.rerank(QUERY, second, { topN: 1 })).toEqual(await plain.rerank(QUERY, second, { topN: 1 }));
  });

  it("answers a repeated whole call from the cache without the backend", async () => {
    let calls = 0;
    const inner = defineProvider({
      provider: "set",
      model: "dependent",
      scoresDependOnCandidates: true,
      async score(_q, documents) {
        calls++;
        return documents.map((_, i) => ({ score: 1 / (i + 1), rawScore: i }));
      },
    });
    const cached = withResultCache(inner, { max: 10 });
    const a = await cached.rerank("q", ["x", "y", "z"]);
    expect(await cached.rerank("q", ["x", "y", "z"])).toEqual(a);
    expect(calls).toBe(1);
    // A call larger than the whole cache is never stored, and still answered.
    await cached.rerank("q", Array.from({ length: 11 }, (_, i) => `d${i}`));
    await cached.rerank("q", Array.from({ length: 11 }, (_, i) => `d${i}`));
    expect(calls).toBe(3);
  });

  it("answers CLOSED after close, even for a query it could answer from the cache", async () => {
    const { provider } = primary();
    const cached = withResultCache(provider, { max: 100 });
    await cached.rerank(QUERY, DOCS);
    await cached.close();
    expect(await codeOf(cached.rerank(QUERY, DOCS))).toBe("CLOSED");
    expect(await codeOf(cached.rerank("", DOCS))).toBe("INVALID_INPUT");
  });

  it("closes its backend once however often it is closed", async () => {
    let closes = 0;
    const inner: RerankProvider = {
      provider: "raw",
      model: "m",
      rerank: async (_q, docs) => docs.map((_, index) => ({ index, score: 0.5, rawScore: 0 })),
      close: async () => void closes++,
    };
    const cached = withResultCache(inner, { max: 10 });
    await Promise.all([cached.close(), cached.close()]);
    await cached.close();
    expect(closes).toBe(1);
  });

  it("keeps caching a provider that does not say who served, and sends only unseen documents", async () => {
    const asked: string[][] = [];
    const inner: RerankProvider = {
      provider: "raw",
      model: "m",
      async rerank(query, docs) {
        asked.push([...docs]);
        const results = docs.map((d, index) => ({ index, score: letterScore(query, d), rawScore: 0 }));
        return results.sort((a, b) => b.score - a.score || a.index - b.index);
      },
    };
    const cached = withResultCache(inner, { max: 10 });
    const first = await cached.rerank(QUERY, DOCS.slice(0, 3));
    const second = await cached.rerank(QUERY, DOCS);
    expect(asked).toEqual([DOCS.slice(0, 3), [DOCS[3]]]);
    expect(second.filter((r) => r.index < 3)).toEqual(first);
    expect(second.every((r) => r.servedBy === undefined)).toBe(true);
  });

  it("rejects a backend that answers for fewer documents than it was asked, instead of caching a hole", async () => {
    const inner: RerankProvider = {
      provider: "raw",
      model: "short",
      rerank: async () => [{ index: 0, score: 0.5, rawScore: 0 }],
    };
    const cached = withResultCache(inner, { max: 10 });
    const error = await cached.rerank("q", ["a", "b"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RerankError);
    expect((error as RerankError).code).toBe("INVALID_RESPONSE");
  });

  it("does not mutate the caller's documents and keeps duplicates apart", async () => {
    const { provider } = primary();
    const cached = withResultCache(provider, { max: 100 });
    const docs = ["low water", "bread", "low water"];
    const frozen = Object.freeze([...docs]) as string[];
    const results = await cached.rerank(QUERY, frozen);
    expect(results.map((r) => r.index).sort()).toEqual([0, 1, 2]);
    expect(frozen).toEqual(docs);
  });

  it("keeps texts apart that UTF-8 would merge (a lone surrogate and U+FFFD)", async () => {
    const inner = defineProvider({
      provider: "code",
      model: "units",
      score: async (_q, documents) =>
        documents.map((d) => ({ score: d.charCodeAt(0) / 0xffff, rawScore: d.charCodeAt(0) })),
    });
    const cached = withResultCache(inner, { max: 10 });
    await cached.rerank("q", ["\uD800"]);
    expect((await cached.rerank("q", ["\uFFFD"]))[0]!.rawScore).toBe(0xfffd);
    expect((await cached.rerank("q", ["\uD800", "\uFFFD"])).map((r) => r.rawScore)).toEqual([0xfffd, 0xd800]);
  });

  it("hashes a large call in slices: an abort lands before the backend is asked", async () => {
    let asked = 0;
    const inner: RerankProvider = {
      provider: "raw",
      model: "m",
      rerank: async (_q, docs) => {
        asked++;
        return docs.map((_, index) => ({ index, score: 0.5, rawScore: 0 }));
      },
    };
    const documents = Array.from({ length: 50_000 }, (_, i) => `document ${i} ${"tide harbour ferry ".repeat(60)}`);
    const controller = new AbortController();
    setImmediate(() => controller.abort());
    const call = withResultCache(inner, { max: 10 }).rerank("q", documents, { signal: controller.signal });
    expect(await codeOf(call)).toBe("ABORTED");
    expect(asked).toBe(0);
  });
});
