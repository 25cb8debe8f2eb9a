import { createProvider as createCohere } from "@crossrank/cohere";
import { createReranker, estimateTokens, planRequests, type FallbackEvent, type RerankerConfig } from "@crossrank/core";
import { createProvider as createJina } from "@crossrank/jina";
import { createProvider as createHttp } from "@crossrank/http";
import { createProvider as createMixedbread } from "@crossrank/mixedbread";
import { createProvider as createVoyage } from "@crossrank/voyage";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { describeConformance, DOCUMENTS, QUERY } from "./conformance/suite.js";
import { TINY } from "./setup/fixture-paths.js";
import {
  FakeRerankApis,
  fakeTokens,
  LIMITS,
  logitFor,
  VOYAGE_MAX_TOKENS,
  type Api,
} from "./support/fake-rerank-apis.js";
import { failure } from "./support/failure.js";

const KEY = "sk-test-SECRET-4f9a2c7e1b";
const apis = new FakeRerankApis(KEY);
beforeAll(async () => {
  await apis.start();
});
afterAll(async () => apis.stop());

const FAST = { retryDelayMs: 5, timeoutMs: 2000 } as const;

function configFor(api: Api, extra: Record<string, unknown> = {}): RerankerConfig {
  switch (api) {
    case "cohere-v2":
      return { provider: "cohere", apiKey: KEY, baseUrl: apis.url, ...FAST, ...extra } as RerankerConfig;
    case "mixedbread":
      return { provider: "mixedbread", apiKey: KEY, baseUrl: apis.url, ...FAST, ...extra } as RerankerConfig;
    case "cohere-compatible":
      return {
        provider: "http",
        url: apis.url,
        api: "cohere",
        model: "BAAI/bge-reranker-v2-m3",
        ...FAST,
        ...extra,
      } as RerankerConfig;
    case "tei":
      return { provider: "http", url: apis.url, api: "tei", ...FAST, ...extra } as RerankerConfig;
    case "voyage":
      return { provider: "voyage", apiKey: KEY, baseUrl: `${apis.url}/voyage`, ...FAST, ...extra } as RerankerConfig;
    case "jina":
      return { provider: "jina", apiKey: KEY, baseUrl: `${apis.url}/jina`, ...FAST, ...extra } as RerankerConfig;
  }
}

const KEY_VARIABLES = ["COHERE_API_KEY", "CO_API_KEY", "MXBAI_API_KEY", "VOYAGE_API_KEY", "JINA_API_KEY"];

/** Runs `body` with none of the hosted providers' key variables set, and sets them back as they were after. */
async function withoutKeyVariables(body: () => Promise<void>): Promise<void> {
  const saved = KEY_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const name of KEY_VARIABLES) delete process.env[name];
  try {
    await body();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** A config of `api` whose requests go to `url` instead of the fake server. */
function configAt(api: Api, url: string, extra: Record<string, unknown> = {}): RerankerConfig {
  const moved =
    api === "voyage" || api === "jina"
      ? { baseUrl: `${url}/${api}` }
      : api === "tei" || api === "cohere-compatible"
        ? { url }
        : { baseUrl: url };
  return configFor(api, { ...extra, ...moved });
}

const API_LIST: Api[] = ["cohere-v2", "mixedbread", "cohere-compatible", "tei", "voyage", "jina"];

/** What the fake server's scoring says the order must be. */
function expectedOrder(query: string, docs: readonly string[]): number[] {
  return docs
    .map((d, i) => ({ i, s: logitFor(query, d) }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map((x) => x.i);
}

for (const api of API_LIST) {
  describeConformance({ name: `${api} wire format`, create: () => createReranker(configFor(api)) });
}

describe.each(API_LIST)("%s: behaviour against the wire format", (api) => {
  beforeEach(() => apis.clear());

  it("sends the documented request body and headers, and ranks by the API's scores", async () => {
    const r = await createReranker(configFor(api));
    const results = await r.rerank(QUERY, [...DOCUMENTS], { topN: 3 });
    expect(results.map((x) => x.index)).toEqual(expectedOrder(QUERY, DOCUMENTS).slice(0, 3));
    const [req] = apis.requestsTo(api);
    expect(req!.headers["content-type"]).toMatch(/application\/json/);
    switch (api) {
      case "cohere-v2":
        expect(req!.body).toMatchObject({ model: "rerank-v3.5", query: QUERY, documents: DOCUMENTS });
        expect(req!.headers.authorization).toBe(`Bearer ${KEY}`);
        break;
      case "mixedbread":
        expect(req!.body).toEqual({
          model: "mixedbread-ai/mxbai-rerank-large-v2",
          query: QUERY,
          input: DOCUMENTS,
          top_k: DOCUMENTS.length,
          return_input: false,
        });
        expect(req!.headers.authorization).toBe(`Bearer ${KEY}`);
        break;
      case "cohere-compatible":
        expect(req!.body).toEqual({
          model: "BAAI/bge-reranker-v2-m3",
          query: QUERY,
          documents: DOCUMENTS,
          top_n: DOCUMENTS.length,
          return_documents: false,
        });
        break;
      case "tei":
        expect(req!.body).toEqual({ query: QUERY, texts: DOCUMENTS, raw_scores: true, truncate: true });
        // rawScore is the logit the server returned; score its sigmoid.
        expect(results[0]!.rawScore).toBeCloseTo(logitFor(QUERY, DOCUMENTS[results[0]!.index]!), 10);
        expect(results[0]!.score).toBeCloseTo(1 / (1 + Math.exp(-results[0]!.rawScore)), 12);
        break;
      case "voyage":
        expect(req!.body).toEqual({
          model: "rerank-2.5",
          query: QUERY,
          documents: DOCUMENTS,
          truncation: true,
          return_documents: false,
        });
        expect(req!.headers.authorization).toBe(`Bearer ${KEY}`);
        break;
      case "jina":
        expect(req!.body).toEqual({
          model: "jina-reranker-v2-base-multilingual",
          query: QUERY,
          documents: DOCUMENTS,
          top_n: DOCUMENTS.length,
          return_documents: false,
        });
        expect(req!.headers.authorization).toBe(`Bearer ${KEY}`);
        break;
    }
  });

  it("retries a 429 after its Retry-After and returns the same results", async () => {
    const r = await createReranker(configFor(api));
    const clean = await r.rerank(QUERY, [...DOCUMENTS]);
    apis.clear();
    apis.fail(api, { status: 429, retryAfter: "1" });
    const retried = await r.rerank(QUERY, [...DOCUMENTS]);
    const [first, second] = apis.requestsTo(api);
    expect(apis.requestsTo(api)).toHaveLength(2);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(retried).toEqual(clean);
  });

  it("retries 500, 503, a reset connection and a timeout", async () => {
    const r = await createReranker(configFor(api, { timeoutMs: 300, maxRetries: 4 }));
    apis.fail(api, { status: 500 }, { status: 503 }, { reset: true }, { delayMs: 1000 });
    const results = await r.rerank(QUERY, [...DOCUMENTS]);
    expect(apis.requestsTo(api)).toHaveLength(5);
    expect(results.map((x) => x.index)).toEqual(expectedOrder(QUERY, DOCUMENTS));
  });

  it("gives up after its retries with the status, request id and attempt count", async () => {
    const r = await createReranker(configFor(api, { maxRetries: 2 }));
    apis.fail(api, { status: 503 }, { status: 503 }, { status: 503 });
    const e = await failure(r.rerank(QUERY, [...DOCUMENTS]));
    expect(e.code).toBe("PROVIDER_ERROR");
    expect(e.status).toBe(503);
    expect(e.attempts).toBe(3);
    expect(e.requestId).toMatch(/[0-9a-f-]{36}/);
    expect(e.message).toContain(e.requestId!);
    expect(e.message).toMatch(/HTTP 503/);
    expect(apis.requestsTo(api)).toHaveLength(3);
  });

  it("does not retry a 401 or 400, and never shows the key", async () => {
    const r = await createReranker(configFor(api));
    apis.fail(api, { status: 401 });
    const e = await failure(r.rerank(QUERY, [...DOCUMENTS]));
    expect(e.status).toBe(401);
    expect(apis.requestsTo(api)).toHaveLength(1);
    const everything = JSON.stringify({ ...e, message: e.message, stack: e.stack, cause: e.cause && String(e.cause) });
    expect(everything).not.toContain(KEY);
    apis.fail(api, { status: 400 });
    expect((await failure(r.rerank(QUERY, ["a"]))).status).toBe(400);
  });

  it.each([
    [
      "an index out of range",
      { mutate: (rs: { index: number; score: number }[]) => rs.map((x, i) => (i === 0 ? { ...x, index: 99 } : x)) },
      /index 99, outside 0\.\.7/,
    ],
    [
      "a duplicated index",
      {
        mutate: (rs: { index: number; score: number }[]) =>
          rs.map((x, i) => (i === 1 ? { ...x, index: rs[0]!.index } : x)),
      },
      /twice/,
    ],
    [
      "a missing result",
      { mutate: (rs: { index: number; score: number }[]) => rs.slice(1) },
      /7 results for 8 documents/,
    ],
    ["malformed JSON", { malformed: true }, /JSON|response/],
  ])("rejects %s as INVALID_RESPONSE without retrying", async (_label, fault, message) => {
    const r = await createReranker(configFor(api));
    apis.fail(api, fault);
    const e = await failure(r.rerank(QUERY, [...DOCUMENTS]));
    expect(e.code).toBe("INVALID_RESPONSE");
    expect(e.message).toMatch(message);
    expect(apis.requestsTo(api)).toHaveLength(1);
  });

  it("cancels an in-flight request when the caller aborts", async () => {
    const r = await createReranker(configFor(api, { timeoutMs: 10_000 }));
    apis.fail(api, { delayMs: 3000 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const e = await failure(r.rerank(QUERY, [...DOCUMENTS], { signal: controller.signal }));
    expect(e.code).toBe("ABORTED");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("an abort 0.5 s into a Retry-After wait rejects ABORTED within 200 ms", async () => {
    const r = await createReranker(configFor(api, { timeoutMs: 10_000 }));
    apis.fail(api, { status: 429, retryAfter: "5" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const started = performance.now();
    const e = await failure(r.rerank(QUERY, [...DOCUMENTS], { signal: controller.signal }));
    expect(e.code).toBe("ABORTED");
    expect(performance.now() - started).toBeLessThan(700);
    expect(apis.requestsTo(api)).toHaveLength(1);
  });

  it("a Retry-After longer than what is left of timeoutMs fails at once with RATE_LIMITED", async () => {
    const r = await createReranker(configFor(api, { timeoutMs: 1000, maxRetries: 3 }));
    apis.fail(api, { status: 429, retryAfter: "3" });
    const started = performance.now();
    const e = await failure(r.rerank(QUERY, [...DOCUMENTS]));
    expect(e.code).toBe("RATE_LIMITED");
    expect(e.retryAfterMs).toBe(3000);
    expect(e.message).toMatch(/asks to wait 3 s, longer than the 1 s crossrank may wait/);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(apis.requestsTo(api)).toHaveLength(1);
  });

  it("a refused connection names the host and the cause, after at most one retry", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const r = await createReranker(configAt(api, `http://127.0.0.1:${port}`, { maxRetries: 3 }));
    const e = await failure(r.rerank(QUERY, [...DOCUMENTS]));
    expect(e.code).toBe("PROVIDER_ERROR");
    expect(e.message).toContain(`network error reaching 127.0.0.1:${port}`);
    expect(e.message).toMatch(/refused.*ECONNREFUSED/);
    expect(e.attempts).toBeLessThanOrEqual(2);
  });

  it("a host name that does not resolve is named, with ENOTFOUND, after one attempt", async () => {
    const r = await createReranker(configAt(api, "http://crossrank-test.invalid", { maxRetries: 3 }));
    const e = await failure(r.rerank(QUERY, [...DOCUMENTS]));
    expect(e.message).toMatch(/network error reaching crossrank-test\.invalid: .*ENOTFOUND/);
    expect(e.attempts).toBe(1);
  });

  it("splits large candidate sets within the API's limit, with bounded concurrency, losing nothing", async () => {
    const n = api === "tei" ? 100 : 2500;
    const docs = Array.from({ length: n }, (_, i) => `${DOCUMENTS[i % DOCUMENTS.length]} number ${i}`);
    const limit = api === "cohere-compatible" ? 100 : LIMITS[api];
    const r = await createReranker(configFor(api, { maxConcurrency: 2 }));
    const results = await r.rerank(QUERY, docs);
    const sizes = apis.requestsTo(api).map((q) => (q.body.documents ?? q.body.input ?? q.body.texts).length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(limit);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
    expect(sizes).toHaveLength(Math.ceil(n / limit));
    expect(apis.maxInFlight).toBeLessThanOrEqual(2);
    expect(results.map((x) => x.index)).toEqual(expectedOrder(QUERY, docs));
  });
});

describe("fallback", () => {
  beforeEach(() => apis.clear());

  it("tries the next provider when one fails after its retries, and says which one served", async () => {
    const events: FallbackEvent[] = [];
    const r = await createReranker(
      {
        ...configFor("cohere-v2", { maxRetries: 1 }),
        fallback: [configFor("tei") as never, "local:/nonexistent"],
      } as RerankerConfig,
      { onFallback: (e) => events.push(e) },
    );
    apis.fail("cohere-v2", { status: 503 }, { status: 503 });
    const results = await r.rerank(QUERY, [...DOCUMENTS]);
    expect(results.every((x) => x.servedBy === `http:tei@${new URL(apis.url).host}`)).toBe(true);
    expect(results.map((x) => x.index)).toEqual(expectedOrder(QUERY, DOCUMENTS));
    expect(events).toHaveLength(1);
    expect(events[0]!.failed).toBe("cohere:default");
    expect(events[0]!.error.status).toBe(503);
    // The primary answers again once it recovers.
    const next = await r.rerank(QUERY, [...DOCUMENTS]);
    expect(next[0]!.servedBy).toBe("cohere:rerank-v3.5");
  });

  it("falls back to the local model, and from a provider that cannot be set up", async () => {
    await withoutKeyVariables(async () => {
      const events: FallbackEvent[] = [];
      const r = await createReranker(
        { provider: "cohere", fallback: [{ provider: "local", modelPath: TINY.bert }] },
        { onFallback: (e) => events.push(e) },
      );
      const results = await r.rerank(QUERY, [...DOCUMENTS]);
      expect(results[0]!.servedBy).toBe("local:tiny-bert");
      expect(events[0]!.error.code).toBe("INVALID_CONFIG");
      expect(events[0]!.error.message).toMatch(/COHERE_API_KEY/);
      await r.close!();
    });
  });

  it("does not fall back on the caller's own mistakes", async () => {
    const r = await createReranker({
      ...configFor("cohere-v2"),
      fallback: [configFor("tei") as never],
    } as RerankerConfig);
    expect((await failure(r.rerank("", ["a"]))).code).toBe("INVALID_INPUT");
    expect(apis.requests).toHaveLength(0);
  });
});

describe("rate limits, credentials and redaction", () => {
  beforeEach(() => apis.clear());

  it("Retry-After: 99999 hands over to the fallback at once, with RATE_LIMITED and the pause asked for", async () => {
    const events: FallbackEvent[] = [];
    const r = await createReranker(
      { ...configFor("cohere-v2", { maxRetries: 3 }), fallback: [configFor("tei") as never] } as RerankerConfig,
      {
        onFallback: (e) => events.push(e),
      },
    );
    apis.fail("cohere-v2", { status: 429, retryAfter: "99999" });
    const started = performance.now();
    const results = await r.rerank(QUERY, [...DOCUMENTS]);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(results[0]!.servedBy).toMatch(/^http:tei@/);
    expect(events[0]!.error).toMatchObject({ code: "RATE_LIMITED", status: 429, retryAfterMs: 99_999_000 });
    expect(apis.requestsTo("cohere-v2")).toHaveLength(1);
  });

  it("refuses credentials in a URL at creation, without repeating them", async () => {
    const withUser = apis.url.replace("http://", "http://admin:hunter2-pass@");
    for (const config of [
      { provider: "http", url: withUser },
      { provider: "voyage", apiKey: KEY, baseUrl: `${withUser}/voyage` },
      { provider: "cohere", apiKey: KEY, baseUrl: withUser },
      { provider: "mixedbread", apiKey: KEY, baseUrl: withUser },
      { provider: "jina", apiKey: KEY, baseUrl: withUser },
    ]) {
      const e = await failure(createReranker(config as RerankerConfig));
      expect(e.code).toBe("INVALID_CONFIG");
      expect(e.message).toMatch(/credentials in it .* pass the key as apiKey or in headers/);
      expect(e.message).not.toContain("hunter2");
      expect(e.message).not.toContain("admin");
    }
    expect(apis.requests).toHaveLength(0);
  });

  it("redacts a short key and a key set in any header when the server echoes them", async () => {
    const short = "Zq7_p";
    const r = await createReranker({
      provider: "http",
      url: apis.url,
      api: "cohere",
      apiKey: short,
      headers: { "x-api-key": "k-4f", cookie: "s=1a2b" },
      ...FAST,
      maxRetries: 0,
    });
    apis.fail("cohere-compatible", {
      raw: { status: 403, body: JSON.stringify({ message: `key ${short} / x-api-key k-4f / cookie s=1a2b refused` }) },
    });
    const e = await failure(r.rerank(QUERY, [...DOCUMENTS]));
    expect(e.message).toMatch(/HTTP 403: key \[redacted\] \/ x-api-key \[redacted\] \/ cookie \[redacted\] refused/);
  });
});

describe("voyage: token-aware splitting within its documented limits", () => {
  beforeEach(() => apis.clear());
  // About 4,000 characters: ~1,000 tokens by the stand-in tokenizer, more by crossrank's upper estimate.
  const long = (i: number) => `${DOCUMENTS[i % DOCUMENTS.length]} ${"tide harbour ferry ".repeat(210)} #${i}`;

  it("cuts a call into requests under 600K tokens (query counted once per document), losing nothing", async () => {
    const docs = Array.from({ length: 900 }, (_, i) => long(i));
    const query = `${QUERY} ${"low water ".repeat(40)}`;
    const r = await createReranker(configFor("voyage"));
    const results = await r.rerank(query, docs);
    const requests = apis.requestsTo("voyage");
    // One request of 900 documents would be ~ (100 + 1,000) × 900 ≈ 1M tokens: Voyage would answer 400.
    expect(requests.length).toBeGreaterThan(1);
    for (const q of requests) {
      const total = q.body.documents.reduce(
        (sum: number, d: string) => sum + fakeTokens(q.body.query) + fakeTokens(d),
        0,
      );
      expect(total).toBeLessThanOrEqual(VOYAGE_MAX_TOKENS);
    }
    // Requests run concurrently and may arrive in any order; in document order they cover every document once.
    const inOrder = [...requests].sort((a, b) => docs.indexOf(a.body.documents[0]) - docs.indexOf(b.body.documents[0]));
    expect(inOrder.flatMap((q) => q.body.documents)).toEqual(docs);
    expect(results.map((x) => x.index).sort((a, b) => a - b)).toEqual(docs.map((_, i) => i));
    expect(results.map((x) => x.index)).toEqual(expectedOrder(query, docs));
  });

  it("sends a document over the context for Voyage to cut, or fails unsent when truncation is off", async () => {
    const huge = "a very long passage about tides ".repeat(6000); // ~190K characters, far over 32K tokens
    const docs = [DOCUMENTS[0]!, huge, DOCUMENTS[1]!];
    const r = await createReranker(configFor("voyage"));
    const results = await r.rerank(QUERY, docs);
    expect(results).toHaveLength(3);
    expect(apis.requestsTo("voyage")[0]!.body.truncation).toBe(true);

    apis.clear();
    const strict = await createReranker(configFor("voyage", { truncation: false }));
    const e = await failure(strict.rerank(QUERY, docs));
    expect(e.code).toBe("INVALID_INPUT");
    expect(e.message).toMatch(/document 1 .* over voyage's limit of 32000 per query and document/);
    expect(apis.requestsTo("voyage")).toHaveLength(0);
  });

  it("estimates tokens on the high side of a subword tokenizer, for ASCII and other scripts", () => {
    expect(estimateTokens("")).toBe(0);
    const english = "Low tide exposes the harbour wall; check the tide tables before walking out.";
    expect(estimateTokens(english)).toBeGreaterThanOrEqual(fakeTokens(english));
    expect(estimateTokens("潮の満ち引き")).toBe(9);
  });

  it("plans consecutive requests that cover every document once", () => {
    const docs = Array.from({ length: 50 }, (_, i) => "x".repeat(30 * (i + 1)));
    const ranges = planRequests(
      "q",
      docs,
      7,
      { maxTokensPerRequest: 2000, queryPerDocument: true, oversizePair: "truncate" },
      "test",
    );
    expect(ranges[0]![0]).toBe(0);
    expect(ranges.at(-1)![1]).toBe(50);
    ranges.forEach(([start, end], i) => {
      expect(end - start).toBeLessThanOrEqual(7);
      expect(end).toBeGreaterThan(start);
      if (i > 0) expect(start).toBe(ranges[i - 1]![1]);
    });
  });
});

describe("keys and config", () => {
  it("reads the key from COHERE_API_KEY / MXBAI_API_KEY and names the variable when missing", async () => {
    await withoutKeyVariables(async () => {
      expect((await failure(createReranker("cohere:rerank-v3.5"))).message).toMatch(/COHERE_API_KEY/);
      expect((await failure(createReranker("mixedbread"))).message).toMatch(/MXBAI_API_KEY/);
      expect((await failure(createReranker("voyage:rerank-2.5"))).message).toMatch(/VOYAGE_API_KEY/);
      expect((await failure(createReranker("jina"))).message).toMatch(/JINA_API_KEY/);
      process.env.VOYAGE_API_KEY = KEY;
      process.env.JINA_API_KEY = KEY;
      expect(
        await (
          await createReranker({ provider: "voyage", baseUrl: `${apis.url}/voyage`, ...FAST })
        ).rerank(QUERY, ["a"]),
      ).toHaveLength(1);
      expect(
        await (await createReranker({ provider: "jina", baseUrl: `${apis.url}/jina`, ...FAST })).rerank(QUERY, ["a"]),
      ).toHaveLength(1);
      process.env.COHERE_API_KEY = KEY;
      const r = await createReranker({ provider: "cohere", baseUrl: apis.url, ...FAST });
      expect(await r.rerank(QUERY, ["a cross encoder"])).toHaveLength(1);
    });
  });

  it("a cohere provider made without createReranker reads CO_API_KEY after COHERE_API_KEY", async () => {
    await withoutKeyVariables(async () => {
      const config = { provider: "cohere" as const, baseUrl: apis.url, ...FAST };
      const missing = await failure(createCohere(config));
      expect(missing.code).toBe("INVALID_CONFIG");
      expect(missing.message).toMatch(/needs an API key: set COHERE_API_KEY \(or CO_API_KEY\)/);
      process.env.CO_API_KEY = ` ${KEY} `;
      const direct = await createCohere(config);
      expect(await direct.rerank(QUERY, ["a cross encoder"])).toHaveLength(1);
      expect(apis.requestsTo("cohere-v2").at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
      await direct.close?.();
      // COHERE_API_KEY comes first: the fake server refuses any key but KEY.
      process.env.COHERE_API_KEY = "sk-not-the-key";
      const wrong = await failure((await createCohere(config)).rerank(QUERY, ["a cross encoder"]));
      expect(wrong.status).toBe(401);
      expect(wrong.message).not.toContain("sk-not-the-key");
    });
  });

  it("each keyed provider's missing-key error says which variable to set", async () => {
    await withoutKeyVariables(async () => {
      const cases = [
        [() => createMixedbread({ provider: "mixedbread" }), "set MXBAI_API_KEY,"],
        [() => createVoyage({ provider: "voyage" }), "set VOYAGE_API_KEY,"],
        [() => createJina({ provider: "jina" }), "set JINA_API_KEY,"],
      ] as const;
      for (const [create, advice] of cases) {
        const error = await failure(create());
        expect(error.code).toBe("INVALID_CONFIG");
        expect(error.message).toContain(`needs an API key: ${advice}`);
      }
    });
  });

  it("sets up a base URL with a long run of slashes inside it in linear time", async () => {
    // Stripping trailing slashes with /\/+$/ costs seconds on this URL: the pattern retries at every slash.
    const url = `http://127.0.0.1:9/${"/".repeat(60_000)}x`;
    const makers = [
      () => createHttp({ provider: "http", url }),
      () => createCohere({ provider: "cohere", apiKey: KEY, baseUrl: url }),
      () => createMixedbread({ provider: "mixedbread", apiKey: KEY, baseUrl: url }),
      () => createVoyage({ provider: "voyage", apiKey: KEY, baseUrl: url }),
      () => createJina({ provider: "jina", apiKey: KEY, baseUrl: url }),
    ];
    for (const make of makers) {
      const started = performance.now();
      const provider = await make();
      expect(performance.now() - started).toBeLessThan(250);
      await provider.close?.();
    }
  });

  it("validates hosted options by field name", async () => {
    expect((await failure(createReranker({ provider: "http", url: "not a url" } as RerankerConfig))).message).toMatch(
      /config\.url/,
    );
    expect((await failure(createReranker({ provider: "cohere", apiKey: KEY, timeoutMs: -1 }))).message).toMatch(
      /config\.timeoutMs/,
    );
    const e = await failure(createReranker({ provider: "http", url: apis.url, api: "grpc" } as never));
    expect(e.message).toMatch(/config\.api/);
  });
});

describe("result cache", () => {
  beforeEach(() => apis.clear());

  it("answers a repeated query from the cache and sends only documents it has not seen", async () => {
    const r = await createReranker({ ...configFor("tei"), cache: { max: 1000 } } as RerankerConfig);
    const first = await r.rerank(QUERY, [...DOCUMENTS]);
    const again = await r.rerank(QUERY, [...DOCUMENTS]);
    expect(again).toEqual(first);
    expect(apis.requestsTo("tei")).toHaveLength(1);
    const extended = [...DOCUMENTS, "cross encoders rank search results well"];
    const third = await r.rerank(QUERY, extended, { topN: 2 });
    expect(apis.requestsTo("tei")).toHaveLength(2);
    expect(apis.requestsTo("tei")[1]!.body.texts).toEqual(["cross encoders rank search results well"]);
    expect(third.map((x) => x.index)).toEqual(expectedOrder(QUERY, extended).slice(0, 2));
    // Another query is another key.
    await r.rerank("bread", [...DOCUMENTS]);
    expect(apis.requestsTo("tei")).toHaveLength(3);
  });

  it("works for the local provider too", async () => {
    const r = await createReranker({ provider: "local", modelPath: TINY.bert, cache: { max: 100, ttlMs: 60_000 } });
    const a = await r.rerank(QUERY, [...DOCUMENTS]);
    const b = await r.rerank(QUERY, [...DOCUMENTS].reverse());
    expect(b.map((x) => DOCUMENTS.length - 1 - x.index)).toEqual(a.map((x) => x.index));
    await r.close!();
  });
});
