import { createReranker, withResultCache, type RerankEvent } from "@crossrank/core";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DOCUMENTS, QUERY } from "./conformance/suite.js";
import { TINY } from "./setup/fixture-paths.js";
import { FakeRerankApis } from "./support/fake-rerank-apis.js";
import { failure } from "./support/failure.js";

const KEY = "sk-test-SECRET-observe-5e1";
const apis = new FakeRerankApis(KEY);
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  await apis.start();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
});
afterAll(async () => {
  await apis.stop();
  trace.disable();
  context.disable();
});
beforeEach(() => {
  apis.clear();
  exporter.reset();
});

const collect = () => {
  const events: RerankEvent[] = [];
  return { events, onEvent: (e: RerankEvent) => events.push(e) };
};
const cohere = (extra: Record<string, unknown> = {}) => ({
  provider: "cohere" as const,
  apiKey: KEY,
  baseUrl: apis.url,
  retryDelayMs: 5,
  ...extra,
});

describe("onEvent", () => {
  it("reports a local call: its batches, then the call with pairs, tokens, duration, who served, no text", async () => {
    const { events, onEvent } = collect();
    const r = await createReranker({ provider: "local", modelPath: TINY.bert, maxBatchSize: 2 }, { onEvent });
    await r.rerank(QUERY, [...DOCUMENTS], { topN: 3 });
    const batches = events.filter((e) => e.type === "batch");
    const call = events.at(-1)!;
    expect(batches.length).toBeGreaterThanOrEqual(Math.ceil(DOCUMENTS.length / 2));
    expect(call).toMatchObject({
      type: "rerank",
      provider: "local",
      documents: DOCUMENTS.length,
      topN: 3,
      ok: true,
      pairs: DOCUMENTS.length,
      chunked: 0,
    });
    if (call.type !== "rerank") throw new Error("the last event is the call's");
    expect(call.servedBy).toMatch(/^local:/);
    expect(call.tokens).toBe(batches.reduce((sum, b) => sum + (b.type === "batch" ? b.tokens : 0), 0));
    expect(call.durationMs).toBeGreaterThan(0);
    expect(JSON.stringify(events)).not.toContain(DOCUMENTS[0]);
    expect(JSON.stringify(events)).not.toContain(QUERY);
    await r.close?.();
  });

  it("carries the query and texts only when asked to", async () => {
    const { events, onEvent } = collect();
    const r = await createReranker("lexical", { onEvent, includeText: true });
    await r.rerank(QUERY, [...DOCUMENTS]);
    expect(events).toEqual([expect.objectContaining({ type: "rerank", query: QUERY, texts: [...DOCUMENTS] })]);
  });

  it("reports a hosted request's retries with their status codes, and never the key", async () => {
    const { events, onEvent } = collect();
    apis.fail("cohere-v2", { status: 429, retryAfter: "0" }, { status: 503 });
    const r = await createReranker(cohere(), { onEvent });
    await r.rerank(QUERY, [...DOCUMENTS]);
    const request = events.find((e) => e.type === "request");
    expect(request).toMatchObject({
      type: "request",
      provider: "cohere",
      attempts: 3,
      retriedStatuses: [429, 503],
      status: 200,
      ok: true,
      documents: DOCUMENTS.length,
    });
    expect(events.at(-1)).toMatchObject({
      type: "rerank",
      requests: 3,
      retries: 2,
      retriedStatuses: [429, 503],
      ok: true,
    });
    expect(JSON.stringify(events)).not.toContain(KEY);
  });

  it("reports cache hits and misses, fallback hand-overs and who served after them", async () => {
    const { events, onEvent } = collect();
    apis.fail("cohere-v2", { status: 401 });
    const r = await createReranker({ ...cohere(), fallback: ["lexical"], cache: { max: 100 } }, { onEvent });
    await r.rerank(QUERY, [...DOCUMENTS]);
    const first = events.at(-1)!;
    expect(first).toMatchObject({
      type: "rerank",
      ok: true,
      servedBy: "lexical:bm25",
      cacheHits: 0,
      cacheMisses: DOCUMENTS.length,
    });
    expect(first.type === "rerank" && first.fallbacks).toEqual([
      { failed: expect.stringMatching(/^cohere:/), next: "lexical", errorCode: "PROVIDER_ERROR" },
    ]);
    // A fallback's scores are not cached as the primary's: the primary, recovered, answers and is cached.
    await r.rerank(QUERY, [...DOCUMENTS]);
    expect(events.at(-1)).toMatchObject({
      type: "rerank",
      servedBy: "cohere:rerank-v3.5",
      cacheHits: 0,
      cacheMisses: DOCUMENTS.length,
    });
    await r.rerank(QUERY, [...DOCUMENTS.slice(0, 3), "a document it has not seen"]);
    expect(events.at(-1)).toMatchObject({ type: "rerank", cacheHits: 3, cacheMisses: 1 });
  });

  it("reports a failed call with its error code, and a listener that throws does not break reranking", async () => {
    const events: RerankEvent[] = [];
    const r = await createReranker(cohere({ maxRetries: 0 }), {
      onEvent: (e) => {
        events.push(e);
        throw new Error("listener bug");
      },
    });
    apis.fail("cohere-v2", { status: 500 });
    expect((await failure(r.rerank(QUERY, [...DOCUMENTS]))).code).toBe("PROVIDER_ERROR");
    expect(events.at(-1)).toMatchObject({ type: "rerank", ok: false, errorCode: "PROVIDER_ERROR" });
    expect(await r.rerank(QUERY, [...DOCUMENTS])).toHaveLength(DOCUMENTS.length);
  });

  it("counts truncated documents, and warns once when more than half of a call's were cut", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => w.code === "CROSSRANK_TRUNCATED" && warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const { events, onEvent } = collect();
      const r = await createReranker({ provider: "local", modelPath: TINY.bert, maxLength: 12 }, { onEvent });
      const long = DOCUMENTS.map((d) => `${d} ${d} ${d}`);
      await r.rerank(QUERY, long);
      await r.rerank(QUERY, long);
      await new Promise((resolve) => setImmediate(resolve));
      const cut = events.at(-1)!;
      if (cut.type !== "rerank") throw new Error("the last event is the call's");
      expect(cut.chunked).toBe(0);
      expect(cut.truncated! * 2).toBeGreaterThan(long.length);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/longDocuments: "chunk"/);
      const chunking = await createReranker(
        { provider: "local", modelPath: TINY.bert, maxLength: 12, longDocuments: "chunk" },
        { onEvent },
      );
      await chunking.rerank(QUERY, long);
      const call = events.at(-1)!;
      // The documents "chunk" splits into windows are exactly those "truncate" cut.
      expect(call).toMatchObject({ type: "rerank", truncated: 0, chunked: cut.truncated });
      expect(call.type === "rerank" && call.pairs! > long.length).toBe(true);
      await r.close?.();
      await chunking.close?.();
    } finally {
      process.off("warning", onWarning);
    }
  });
});

describe("OpenTelemetry (in-memory exporter)", () => {
  it("makes each call a crossrank.rerank span with GenAI attributes and a child span per local batch", async () => {
    const r = await createReranker({ provider: "local", modelPath: TINY.bert, maxBatchSize: 4 });
    await r.rerank(QUERY, [...DOCUMENTS], { topN: 2 });
    const spans = exporter.getFinishedSpans();
    const call = spans.find((s) => s.name === "crossrank.rerank")!;
    expect(call.attributes).toMatchObject({
      "gen_ai.operation.name": "rerank",
      "gen_ai.provider.name": "local",
      "crossrank.documents.count": DOCUMENTS.length,
      "crossrank.request.top_n": 2,
      "crossrank.pairs": DOCUMENTS.length,
    });
    const batches = spans.filter((s) => s.name === "crossrank.batch");
    expect(batches.length).toBe(Math.ceil(DOCUMENTS.length / 4));
    for (const b of batches) expect(b.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
    await r.close?.();
  });

  it("nests under the app's own span, with a child per hosted request, and records errors", async () => {
    const r = await createReranker(cohere({ maxRetries: 1 }));
    const tracer = trace.getTracer("app");
    await tracer.startActiveSpan("app.retrieve", async (parent) => {
      apis.fail("cohere-v2", { status: 429, retryAfter: "0" });
      await r.rerank(QUERY, [...DOCUMENTS]);
      parent.end();
    });
    const spans = exporter.getFinishedSpans();
    const app = spans.find((s) => s.name === "app.retrieve")!;
    const call = spans.find((s) => s.name === "crossrank.rerank")!;
    const request = spans.find((s) => s.name === "crossrank.request")!;
    expect(call.parentSpanContext?.spanId).toBe(app.spanContext().spanId);
    expect(request.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
    expect(request.attributes).toMatchObject({
      "http.response.status_code": 200,
      "crossrank.request.attempts": 2,
      "crossrank.request.retried_statuses": [429],
    });
    expect(call.attributes["crossrank.served_by"]).toBe("cohere:rerank-v3.5");

    exporter.reset();
    apis.fail("cohere-v2", { status: 401 });
    await failure(r.rerank(QUERY, [...DOCUMENTS]));
    const failed = exporter.getFinishedSpans().find((s) => s.name === "crossrank.rerank")!;
    expect(failed.status.code).toBe(2);
    expect(failed.attributes["error.type"]).toBe("PROVIDER_ERROR");
    expect(failed.events.some((e) => e.name === "exception")).toBe(true);
    expect(JSON.stringify(exporter.getFinishedSpans().map((s) => [s.attributes, s.events, s.status]))).not.toContain(
      KEY,
    );
  });
});

describe("an observed reranker", () => {
  it("keeps what the reranker under it declares: a result cache around BM25 still keys by the whole call", async () => {
    const { events, onEvent } = collect();
    const observed = await createReranker("lexical", { onEvent });
    const plain = await createReranker("lexical");
    expect(observed.scoresDependOnCandidates).toBe(true);
    const cached = withResultCache(observed, { max: 100 });
    const first = ["low tide today", "tide tables", "harbour tide"];
    const second = ["low tide today", "bread"];
    expect(await cached.rerank("when is low tide", first)).toEqual(await plain.rerank("when is low tide", first));
    expect(await cached.rerank("when is low tide", second)).toEqual(await plain.rerank("when is low tide", second));
    expect(events.filter((e) => e.type === "rerank").map((e) => e.documents)).toEqual([3, 2]);
    await cached.close();
    expect((await failure(observed.rerank("when is low tide", first))).code).toBe("CLOSED");
    await plain.close();
  });
});
