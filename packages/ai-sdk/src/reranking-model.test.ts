import { createReranker, isRerankError, type RerankProvider } from "@crossrank/core";
import { rerank } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TINY } from "../../../test/setup/fixture-paths.js";
import { countingProvider, deepFreeze } from "../../../test/support/adapter-provider.js";
import { FakeRerankApis, logitFor } from "../../../test/support/fake-rerank-apis.js";
import { HARBOUR_QUERY, HARBOUR_TEXTS } from "../../../test/support/harbour.js";
import { createCrossrank, crossrank, CrossrankRerankingModel } from "./index.js";

const QUERY = HARBOUR_QUERY;
const DOCS = [...HARBOUR_TEXTS];
const KEY = "sk-test-SECRET-ai-sdk-77";
const apis = new FakeRerankApis(KEY);
let local: RerankProvider;
let expected: Awaited<ReturnType<RerankProvider["rerank"]>>;

beforeAll(async () => {
  await apis.start();
  local = await createReranker({ provider: "local", modelPath: TINY.bert });
  expected = await local.rerank(QUERY, DOCS);
});
afterAll(async () => {
  await local.close?.();
  await apis.stop();
});

describe("crossrank as an AI SDK reranking model, through ai@6's rerank()", () => {
  it("is a v3 reranking model with plain fields (ai@7 wraps it in a Proxy)", () => {
    const model = crossrank.reranking(`local:${TINY.bert}`);
    expect(model.specificationVersion).toBe("v3");
    expect(model.provider).toBe("crossrank");
    expect(model.modelId).toBe(`local:${TINY.bert}`);
    const proxied = new Proxy(model, {});
    expect(typeof proxied.doRerank).toBe("function");
  });

  it("ranks text documents as crossrank does, sorted and cut to topN, with rawScore and servedBy in providerMetadata", async () => {
    const model = crossrank.reranking({ provider: "local", modelPath: TINY.bert });
    const documents = deepFreeze([...DOCS]);
    const result = await rerank({ model, query: QUERY, documents, topN: 2 });
    expect(result.ranking.map((r) => r.originalIndex)).toEqual(expected.slice(0, 2).map((r) => r.index));
    result.ranking.forEach((r, i) => {
      expect(r.score).toBeCloseTo(expected[i]!.score, 6);
      expect(r.document).toBe(DOCS[expected[i]!.index]);
    });
    expect(result.rerankedDocuments).toEqual(expected.slice(0, 2).map((r) => DOCS[r.index]));
    const meta = result.providerMetadata!.crossrank!.ranking as { index: number; rawScore: number; servedBy: string }[];
    expect(meta.map((m) => m.index)).toEqual(expected.slice(0, 2).map((r) => r.index));
    expect(meta[0]!.rawScore).toBeCloseTo(expected[0]!.rawScore, 5);
    expect(meta[0]!.servedBy).toMatch(/^local:/);
    await model.close();
  });

  it("takes a reranker you created, and gives every document once without topN", async () => {
    const counted = countingProvider(local);
    const result = await rerank({ model: crossrank.reranking(counted), query: QUERY, documents: DOCS });
    expect(result.ranking.map((r) => r.originalIndex).sort()).toEqual([0, 1, 2, 3]);
    expect(counted.calls).toBe(1);
  });

  it("turns object documents into `key: value` lines, per value, with a compatibility warning", async () => {
    const objects = DOCS.map((text, i) => ({ title: `doc ${i}`, body: text, page: i }));
    const model = new CrossrankRerankingModel(countingProvider(local));
    const out = await model.doRerank({ documents: { type: "object", values: objects }, query: QUERY });
    const texts = objects.map((o) => `title: ${o.title}\nbody: ${o.body}\npage: ${o.page}`);
    const direct = await local.rerank(QUERY, texts);
    expect(out.ranking.map((r) => r.index)).toEqual(direct.map((r) => r.index));
    expect(out.warnings).toEqual([expect.objectContaining({ type: "compatibility", feature: "object documents" })]);
    // The AI SDK labels a list by its first element: a string among objects is used as it is.
    const mixed = await model.doRerank({ documents: { type: "object", values: [objects[0]!, DOCS[3] as never] }, query: QUERY });
    const alone = await local.rerank(QUERY, [texts[0]!, DOCS[3]!]);
    expect(mixed.ranking.map((r) => r.relevanceScore)).toEqual(alone.map((r) => r.score));
    const viaRerank = await rerank({ model, query: QUERY, documents: objects, topN: 1 });
    expect(viaRerank.rerankedDocuments[0]).toBe(objects[direct[0]!.index]);
  });

  it("returns no ranking for no documents without creating a reranker", async () => {
    const model = crossrank.reranking("local:./no/such/model");
    const result = await rerank({ model, query: QUERY, documents: [] });
    expect(result.ranking).toEqual([]);
  });

  it("passes the abort signal on: an aborted call rejects with ABORTED", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rerank({ model: crossrank.reranking(local), query: QUERY, documents: DOCS, abortSignal: controller.signal }).catch((e) => e);
    expect(isRerankError(error, "ABORTED")).toBe(true);
  });

  it("rejects bad input with crossrank's own error", async () => {
    const error = await rerank({ model: crossrank.reranking(local), query: "", documents: DOCS }).catch((e) => e);
    expect(isRerankError(error, "INVALID_INPUT")).toBe(true);
  });

  it("validates a config string at construction, with a suggestion for a misspelt provider", () => {
    const message = expect.stringMatching(/did you mean "lexical"/);
    const suggestion = expect.objectContaining({ code: "INVALID_CONFIG", message });
    expect(() => crossrank.reranking("lexcial")).toThrow(suggestion);
    expect(() => crossrank.reranking("local?dtype=fp16")).toThrow(/config\.dtype/);
    expect(crossrank.reranking("cohere:rerank-v3.5|lexical").modelId).toBe("cohere:rerank-v3.5|lexical");
  });

  it("validates a config object at construction, naming the field", () => {
    expect(() => crossrank.reranking({ provider: "local", modelPath: TINY.bert, dtype: "fp16" } as never)).toThrow(/dtype/);
  });
});

describe("hosted providers through the AI SDK", () => {
  const cohere = createCrossrank({ retryDelayMs: 5, timeoutMs: 2000 });

  it("ranks with Cohere's wire format; createCrossrank's defaults apply to every model", async () => {
    apis.clear();
    const model = cohere.reranking({ provider: "cohere", apiKey: KEY, baseUrl: apis.url });
    const result = await rerank({ model, query: QUERY, documents: DOCS, topN: 3 });
    const order = DOCS.map((d, i) => ({ i, s: logitFor(QUERY, d) })).sort((a, b) => b.s - a.s || a.i - b.i).map((x) => x.i);
    expect(result.ranking.map((r) => r.originalIndex)).toEqual(order.slice(0, 3));
    expect(apis.requestsTo("cohere-v2")[0]!.body.top_n ?? 3).toBeGreaterThan(0);
  });

  it("a 429 is retried by crossrank as its config says, and not again by the SDK", async () => {
    apis.clear();
    apis.fail("cohere-v2", { status: 429, retryAfter: "0" });
    const model = cohere.reranking({ provider: "cohere", apiKey: KEY, baseUrl: apis.url });
    const result = await rerank({ model, query: QUERY, documents: DOCS });
    expect(result.ranking).toHaveLength(DOCS.length);
    expect(apis.requestsTo("cohere-v2")).toHaveLength(2); // the 429, then crossrank's one retry

    apis.clear();
    apis.fail("cohere-v2", { status: 429, retryAfter: "0" }, { status: 429, retryAfter: "0" }, { status: 429, retryAfter: "0" });
    const noRetries = cohere.reranking({ provider: "cohere", apiKey: KEY, baseUrl: apis.url, maxRetries: 1 });
    const error = await rerank({ model: noRetries, query: QUERY, documents: DOCS, maxRetries: 5 }).catch((e) => e);
    expect(isRerankError(error)).toBe(true);
    expect(error.status).toBe(429);
    expect(apis.requestsTo("cohere-v2")).toHaveLength(2); // 1 + maxRetries 1; the SDK's maxRetries 5 adds none
    expect(String(error.message)).not.toContain(KEY);
  });

  it("falls back and says who served in providerMetadata", async () => {
    apis.clear();
    apis.fail("cohere-v2", { status: 401 });
    const model = crossrank.reranking({ provider: "cohere", apiKey: KEY, baseUrl: apis.url, retryDelayMs: 5, fallback: [{ provider: "local", modelPath: TINY.bert }] });
    const result = await rerank({ model, query: QUERY, documents: DOCS, topN: 1 });
    expect(result.ranking[0]!.originalIndex).toBe(expected[0]!.index);
    const meta = result.providerMetadata!.crossrank!.ranking as { servedBy: string }[];
    expect(meta[0]!.servedBy).toMatch(/^local:/);
    await model.close();
  });

  it("createCrossrank rejects defaults that name a provider", () => {
    expect(() => createCrossrank({ provider: "local" } as never)).toThrow(/without a provider/);
  });

  it("createCrossrank's defaults are exact: a misspelt option is a type error and an INVALID_CONFIG", () => {
    // @ts-expect-error fallbak is no option of any provider
    const typo = () => createCrossrank({ fallbak: ["lexical"] });
    const message = expect.stringMatching(/"fallbak"; did you mean "fallback"/);
    expect(typo).toThrow(expect.objectContaining({ code: "INVALID_CONFIG", message }));
    // @ts-expect-error maxRetries is a number
    expect(() => createCrossrank({ maxRetries: "2" }).reranking("cohere")).toThrow(/config\.maxRetries/);
  });
});
