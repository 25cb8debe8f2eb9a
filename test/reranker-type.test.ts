/**
 * Type-level checks, enforced by `tsc -p test` (strict): what crossrank hands back can be closed with a plain
 * `await reranker.close()`, while a third-party provider with no `close` is still accepted as input.
 */
import {
  createFallbackChain,
  createReranker,
  defineProvider,
  isRerankError,
  withResultCache,
  type RerankProvider,
  type Reranker,
} from "@crossrank/core";
import { describe, expect, expectTypeOf, it } from "vitest";

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (isRerankError(e) ? e.code : `not a RerankError: ${String(e)}`),
  );
}

describe("the Reranker type", () => {
  it("is what createReranker, defineProvider, the fallback chain and the result cache return", () => {
    expectTypeOf<Reranker["close"]>().toEqualTypeOf<() => Promise<void>>();
    expectTypeOf(createReranker).returns.resolves.toEqualTypeOf<Reranker>();
    expectTypeOf(createFallbackChain).returns.resolves.toEqualTypeOf<Reranker>();
    expectTypeOf(withResultCache).returns.toEqualTypeOf<Reranker>();
    expectTypeOf(defineProvider).returns.toEqualTypeOf<Reranker>();
    expectTypeOf<Reranker>().toExtend<RerankProvider>();
  });

  it("lets the README's `await reranker.close()` compile and run under strict", async () => {
    const reranker = await createReranker({ provider: "lexical", cache: { max: 10 } });
    expect(await reranker.rerank("low tide", ["tide tables", "bread"])).toHaveLength(2);
    await reranker.close();
    expect(await codeOf(reranker.rerank("low tide", ["tide tables", "bread"]))).toBe("CLOSED");
  });

  it("accepts a third-party provider that has no close, and gives the wrapper one", async () => {
    const thirdParty: RerankProvider = {
      provider: "third-party",
      model: "m",
      rerank: async (_query, documents) => documents.map((_, index) => ({ index, score: 0.5, rawScore: 0 })),
    };
    expectTypeOf(thirdParty.close).toEqualTypeOf<(() => Promise<void>) | undefined>();
    const cached = withResultCache(thirdParty, { max: 10 });
    const chain = await createFallbackChain([{ label: "third-party:m", create: async () => thirdParty }]);
    await cached.close();
    await chain.close();
    expect(await codeOf(cached.rerank("q", ["a"]))).toBe("CLOSED");
    expect(await codeOf(chain.rerank("q", ["a"]))).toBe("CLOSED");
  });
});
