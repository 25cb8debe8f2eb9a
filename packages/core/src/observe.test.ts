import { describe, expect, expectTypeOf, it } from "vitest";
import { createLexicalProvider } from "./lexical.js";
import { withObservability } from "./observe.js";
import { withResultCache } from "./result-cache.js";
import type { RerankEvent } from "./telemetry.js";
import type { Reranker, RerankProvider } from "./types.js";

const QUERY = "when is low tide";
const FIRST = ["low tide today", "tide tables", "harbour tide"];
const SECOND = ["low tide today", "bread"];

const collect = () => {
  const events: RerankEvent[] = [];
  return { events, onEvent: (e: RerankEvent) => events.push(e) };
};

describe("withObservability", () => {
  it("hands back a Reranker for a Reranker, and a RerankProvider for a provider that may lack close", () => {
    const lexical = createLexicalProvider({ provider: "lexical" });
    const provider: RerankProvider = { provider: "p", model: "m", rerank: async () => [] };
    expectTypeOf(withObservability(lexical, {}, undefined)).toEqualTypeOf<Reranker>();
    expectTypeOf(withObservability(provider, {}, undefined)).toEqualTypeOf<RerankProvider>();
  });

  it("keeps scoresDependOnCandidates, so a result cache around it keys BM25 by the whole call", async () => {
    const plain = createLexicalProvider({ provider: "lexical" });
    const { events, onEvent } = collect();
    const observed = withObservability(createLexicalProvider({ provider: "lexical" }), { onEvent }, undefined);
    expect(observed.scoresDependOnCandidates).toBe(true);
    const cached = withResultCache(observed, { max: 100 });
    expect(await cached.rerank(QUERY, FIRST)).toEqual(await plain.rerank(QUERY, FIRST));
    // "low tide today" scores differently among SECOND's candidates: a per-document cache would reuse FIRST's score.
    expect(await cached.rerank(QUERY, SECOND)).toEqual(await plain.rerank(QUERY, SECOND));
    expect(events.filter((e) => e.type === "rerank")).toHaveLength(2);
  });

  it("leaves the flag unset for a per-pair scorer, and adds no close() a provider does not have", async () => {
    const perPair: RerankProvider = {
      provider: "third-party",
      model: "m",
      rerank: async (_q, documents) => documents.map((_, index) => ({ index, score: 0.5, rawScore: 0 })),
    };
    const observed = withObservability(perPair, {}, undefined);
    expect("scoresDependOnCandidates" in observed).toBe(false);
    expect("close" in observed).toBe(false);
    expect(await observed.rerank("q", ["a", "b"])).toHaveLength(2);
  });

  it("closes the inner reranker", async () => {
    const observed = withObservability(createLexicalProvider({ provider: "lexical" }), {}, undefined);
    await observed.close();
    const error = await observed.rerank(QUERY, FIRST).then(
      () => undefined,
      (e: { code?: string }) => e,
    );
    expect(error?.code).toBe("CLOSED");
  });
});
