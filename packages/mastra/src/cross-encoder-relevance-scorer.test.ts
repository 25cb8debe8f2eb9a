import { createReranker, isRerankError, registerProvider, type RerankProvider } from "@crossrank/core";
import { rerankWithScorer } from "@mastra/rag";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TINY } from "../../../test/setup/fixture-paths.js";
import { countingProvider } from "../../../test/support/adapter-provider.js";
import { FakeRerankApis } from "../../../test/support/fake-rerank-apis.js";
import { HARBOUR_QUERY, HARBOUR_TEXTS } from "../../../test/support/harbour.js";
import { CrossEncoderRelevanceScorer } from "./index.js";

const QUERY = HARBOUR_QUERY;
// The last is a duplicate: it must be scored once.
const TEXTS = [...HARBOUR_TEXTS, HARBOUR_TEXTS[1]!];
/** Vector-store results as Mastra's query tools hand them over: id, score, metadata.text. */
const RESULTS = TEXTS.map((text, i) => ({ id: `chunk-${i}`, score: 0.5, metadata: { text, source: `doc-${i}` } }));

let local: RerankProvider;
beforeAll(async () => {
  local = await createReranker({ provider: "local", modelPath: TINY.bert });
});
afterAll(async () => local.close?.());

describe("CrossEncoderRelevanceScorer in Mastra's rerankWithScorer (@mastra/rag 1.3.6)", () => {
  it("scores every result with crossrank in one rerank() per query, duplicates scored once", async () => {
    const counted = countingProvider(local);
    const scorer = new CrossEncoderRelevanceScorer({ reranker: counted });
    const ranked = await rerankWithScorer({ results: RESULTS, query: QUERY, scorer, options: { topK: 5, weights: { semantic: 1, vector: 0, position: 0 } } });
    expect(counted.calls).toBe(1);
    const direct = await local.rerank(QUERY, TEXTS);
    const scoreOf = new Map(direct.map((r) => [TEXTS[r.index]!, r.score]));
    // With all weight on the semantic score, Mastra's order is crossrank's order.
    for (const r of ranked) expect(r.details.semantic).toBeCloseTo(scoreOf.get(r.result.metadata!.text)!, 6);
    expect(ranked.map((r) => r.details.semantic)).toEqual([...ranked.map((r) => r.details.semantic)].sort((a, b) => b - a));
    expect(ranked[0]!.result.metadata!.text).toBe(TEXTS[direct[0]!.index]);
    expect(new Set(ranked.map((r) => r.result.id)).size).toBe(5);
  });

  it("keeps separate queries in separate batches, and each call gets its own text's score", async () => {
    const counted = countingProvider(local);
    const scorer = new CrossEncoderRelevanceScorer({ reranker: counted });
    const [a, b] = await Promise.all([scorer.getRelevanceScore(QUERY, TEXTS[3]!), scorer.getRelevanceScore("bread recipe", TEXTS[2]!)]);
    expect(counted.calls).toBe(2);
    expect(a).toBeCloseTo((await local.rerank(QUERY, [TEXTS[3]!]))[0]!.score, 6);
    expect(b).toBeCloseTo((await local.rerank("bread recipe", [TEXTS[2]!]))[0]!.score, 6);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThanOrEqual(1);
  });

  it("creates its reranker from a config on first use, and fails every waiting call with crossrank's error", async () => {
    const scorer = new CrossEncoderRelevanceScorer({ config: "local:./no/such/model" });
    const results = await Promise.allSettled(TEXTS.map((t) => scorer.getRelevanceScore(QUERY, t)));
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect(isRerankError((r as PromiseRejectedResult).reason, "MODEL_NOT_FOUND")).toBe(true);
    }
  });

  it("rejects bad arguments by name", async () => {
    const scorer = new CrossEncoderRelevanceScorer({ reranker: local });
    await expect(scorer.getRelevanceScore("", "text")).rejects.toThrow(/query must be a non-empty string/);
    await expect(scorer.getRelevanceScore(QUERY, 42 as never)).rejects.toThrow(/text must be a string, got number/);
    expect(() => new CrossEncoderRelevanceScorer({ reranker: local, config: "lexical" })).toThrow(/not both/);
    expect(() => new CrossEncoderRelevanceScorer({ config: "lexcial" })).toThrow(/did you mean "lexical"/);
  });

  it("close() creates nothing just to close it, and leaves a reranker passed in open", async () => {
    const made: { closed: number }[] = [];
    registerProvider("jina", {
      async createProvider() {
        const reranker = {
          provider: "jina",
          model: "stand-in",
          closed: 0,
          rerank: async (_q: string, docs: readonly string[]) =>
            docs.map((_, index) => ({ index, score: 0.5, rawScore: 0 })),
          close: async () => void reranker.closed++,
        };
        made.push(reranker);
        return reranker;
      },
    });
    const scorer = new CrossEncoderRelevanceScorer({ config: "jina:stand-in" });
    await scorer.close();
    expect(made).toHaveLength(0);
    await scorer.getRelevanceScore(QUERY, "text");
    await scorer.close();
    expect(made.map((r) => r.closed)).toEqual([1]);
    const passed = new CrossEncoderRelevanceScorer({ reranker: made[0] as unknown as RerankProvider });
    await passed.getRelevanceScore(QUERY, "text");
    await passed.close();
    expect(made[0]!.closed).toBe(1);
  });
});

describe("with a hosted provider", () => {
  const KEY = "sk-test-SECRET-mastra-31";
  const apis = new FakeRerankApis(KEY);
  beforeAll(async () => {
    await apis.start();
  });
  afterAll(async () => apis.stop());

  it("sends one request for all of a query's results, and a 429 is retried once as configured", async () => {
    apis.clear();
    apis.fail("cohere-v2", { status: 429, retryAfter: "0" });
    const scorer = new CrossEncoderRelevanceScorer({ config: { provider: "cohere", apiKey: KEY, baseUrl: apis.url, retryDelayMs: 5 } });
    const ranked = await rerankWithScorer({ results: RESULTS, query: QUERY, scorer, options: { topK: 3 } });
    expect(ranked).toHaveLength(3);
    const requests = apis.requestsTo("cohere-v2");
    expect(requests).toHaveLength(2);
    expect(requests[1]!.body.documents).toHaveLength(4); // five results, one duplicate text
    await scorer.close();
  });
});
