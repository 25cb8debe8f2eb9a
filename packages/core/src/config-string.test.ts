import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateConfig } from "./config.js";
import { formatConfigString, parseConfigString, type ParsedConfig } from "./config-string.js";
import { configFromEnv, resolveConfig } from "./create-reranker.js";
import { RerankError } from "./errors.js";

/** The INVALID_CONFIG message of a call that must fail. */
function failure(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(RerankError);
    expect((e as RerankError).code).toBe("INVALID_CONFIG");
    return (e as Error).message;
  }
  throw new Error("expected INVALID_CONFIG");
}

describe("the config-string grammar, one example per provider", () => {
  it.each<[string, ParsedConfig]>([
    ["local", { provider: "local" }],
    [
      "local:ms-marco-MiniLM-L-6-v2?dtype=q8&workers=2&mapWeights=false",
      { provider: "local", model: "ms-marco-MiniLM-L-6-v2", dtype: "q8", workers: 2, mapWeights: false },
    ],
    ["local:BAAI/bge-reranker-base", { provider: "local", model: "BAAI/bge-reranker-base" }],
    [
      "local:./models/mine?longDocuments=chunk",
      { provider: "local", modelPath: "./models/mine", longDocuments: "chunk" },
    ],
    [
      "Cohere:rerank-v3.5?timeoutMs=5000&maxRetries=0",
      { provider: "cohere", model: "rerank-v3.5", timeoutMs: 5000, maxRetries: 0 },
    ],
    [
      "cohere:rerank-v3.5?baseUrl=https://proxy.example/cohere",
      { provider: "cohere", model: "rerank-v3.5", baseUrl: "https://proxy.example/cohere" },
    ],
    [
      "mixedbread:mixedbread-ai/mxbai-rerank-large-v1",
      { provider: "mixedbread", model: "mixedbread-ai/mxbai-rerank-large-v1" },
    ],
    ["voyage:rerank-2.5?truncation=false", { provider: "voyage", model: "rerank-2.5", truncation: false }],
    ["jina:jina-reranker-v2-base-multilingual", { provider: "jina", model: "jina-reranker-v2-base-multilingual" }],
    [
      "http:http://127.0.0.1:8787/rerank?api=tei",
      { provider: "http", url: "http://127.0.0.1:8787/rerank", api: "tei" },
    ],
    // A URL with its own query string goes in url=, percent-encoded, and comes back whole.
    [
      "http?url=http%3A%2F%2F127.0.0.1%3A8787%2Fv1%3Ftenant%3Da%26b%3D1&model=bge",
      { provider: "http", url: "http://127.0.0.1:8787/v1?tenant=a&b=1", model: "bge" },
    ],
    ["lexical?k1=0.9&b=0.4", { provider: "lexical", k1: 0.9, b: 0.4 }],
    // What servedBy prints for the built-in providers is accepted back.
    ["lexical:bm25", { provider: "lexical" }],
    ["passthrough:input-order", { provider: "passthrough" }],
    ["cohere:rerank-v3.5?cache=1000", { provider: "cohere", model: "rerank-v3.5", cache: { max: 1000 } }],
    [
      "cohere:rerank-v3.5?cache.max=500&cache.ttlMs=60000",
      { provider: "cohere", model: "rerank-v3.5", cache: { max: 500, ttlMs: 60000 } },
    ],
    [
      "cohere:rerank-v3.5?cache=100|local:ms-marco-MiniLM-L-6-v2?dtype=q8|lexical",
      {
        provider: "cohere",
        model: "rerank-v3.5",
        cache: { max: 100 },
        fallback: [{ provider: "local", model: "ms-marco-MiniLM-L-6-v2", dtype: "q8" }, { provider: "lexical" }],
      },
    ],
  ])("%s", (spec, expected) => {
    expect(parseConfigString(spec)).toEqual(expected);
    expect(() => resolveConfig(spec, {})).not.toThrow();
  });

  it("reaches the http provider's url, which it could not before", () => {
    expect(resolveConfig("http:http://127.0.0.1:8787/rerank?api=tei", {})).toMatchObject({
      provider: "http",
      url: "http://127.0.0.1:8787/rerank",
      api: "tei",
    });
    expect(resolveConfig(undefined, { CROSSRANK_PROVIDER: "http:http://127.0.0.1:8787" })).toMatchObject({
      url: "http://127.0.0.1:8787",
    });
  });
});

describe("config-string mistakes: each named, no value echoed", () => {
  it.each<[string, RegExp]>([
    ["", /empty/],
    ["lexcial", /unknown provider; did you mean "lexical"\?/],
    [
      "cohere:rerank-v3.5?apiKey=SECRET-1234567",
      /takes no "apiKey" \(it may be logged\): set COHERE_API_KEY \(or CO_API_KEY\)/,
    ],
    ["voyage?api_key=SECRET-1234567", /takes no "api_key" \(it may be logged\): set VOYAGE_API_KEY/],
    [
      "http:http://h/rerank?headers.authorization=Bearer%20SECRET-1234567",
      /takes no "headers\.authorization" \(it may be logged\): put headers in CROSSRANK_CONFIG/,
    ],
    ["http:https://me:SECRET-1234567@h.example/rerank", /url has a user name or password in it/],
    ["cohere?baseUrl=https://SECRET-1234567@proxy.example", /baseUrl has a user name or password/],
    ["local?workers=two", /option "workers" must be a number/],
    ["local?mapWeights=yes", /option "mapWeights" must be true or false/],
    ["local?modle=x", /local has no option "modle"; did you mean "model"\?/],
    ["local?SECRET-1234567=1", /an option is not one of local's \(model, modelPath, dtype/],
    [
      "http:http://h/rerank?tenant=SECRET-1234567",
      /not one of http's .*give the whole URL percent-encoded: http\?url=/,
    ],
    ["cohere:rerank-v3.5?fallback=lexical", /fallbacks are a chain: "cohere:rerank-v3\.5\|lexical"/],
    ["cohere:rerank-v3.5?headers=x", /takes no "headers"/],
    ["lexical:bm26", /lexical has no model to choose \(it reports "bm25"\)/],
    ["lexical|cohere?cache=5", /fallback 1: cache applies to the whole chain/],
    ["cohere?timeoutMs=1&timeoutMs=2", /option "timeoutMs" is given twice/],
    ["local:foo?model=bar", /option "model" is given twice/],
    ["cohere?cache=1&cache.max=2", /give cache or cache\.max, not both/],
    ["cohere|", /fallback 1 names no provider/],
    ["cohere?provider=jina", /named before the colon/],
  ])("%j", (spec, expected) => {
    const message = failure(() => parseConfigString(spec));
    expect(message).toMatch(expected);
    expect(message).not.toContain("SECRET");
  });

  it("refuses an over-long string at once, and lists a bounded number of problems", () => {
    const huge = `local?${"zz=1&".repeat(250_000)}`;
    const many = `local?${"modle=1&".repeat(500)}`;
    let started = performance.now();
    expect(failure(() => parseConfigString(huge))).toMatch(/over 4096 characters/);
    expect(performance.now() - started).toBeLessThan(50);
    started = performance.now();
    const message = failure(() => parseConfigString(many));
    expect(performance.now() - started).toBeLessThan(200);
    expect(message.match(/did you mean/g)).toHaveLength(1);
    expect(message).toMatch(/"modle" is given twice.*and 488 more$/);
  });

  it("reports every problem of a string at once", () => {
    const message = failure(() => parseConfigString("local?workers=x&threads=y|lexcal"));
    expect(message).toMatch(/"workers".*"threads".*did you mean "lexical"/);
  });

  it("leaves value checks to the provider's schema, naming the field", () => {
    expect(failure(() => resolveConfig("local?dtype=q4", {}))).toMatch(/config\.dtype/);
    expect(failure(() => resolveConfig("http", {}))).toMatch(/config\.url/);
    expect(failure(() => resolveConfig("cohere|local?threads=0", {}))).toMatch(/config\.fallback\[0\]\.threads/);
  });
});

describe("config objects: typos caught with a suggestion", () => {
  it("suggests the provider and the option meant", () => {
    expect(failure(() => validateConfig({ provider: "cohre" }))).toMatch(
      /config\.provider must be one of .*did you mean "cohere"/,
    );
    expect(failure(() => validateConfig({ provider: "lexical", fallbak: ["passthrough"] }))).toMatch(
      /"fallbak" → "fallback"/,
    );
  });

  it("validates every fallback when the config is resolved, not when the fallback is reached", () => {
    const message = failure(() =>
      resolveConfig({ provider: "lexical", fallback: [{ provider: "local", dtype: "q4" } as never] }, {}),
    );
    expect(message).toMatch(/config\.fallback\[0\]\.dtype/);
    expect(failure(() => resolveConfig({ provider: "lexical", fallback: ["lexcial"] }, {}))).toMatch(
      /fallback\[0\].*did you mean "lexical"/,
    );
    expect(
      failure(() =>
        resolveConfig({ provider: "lexical", fallback: [{ provider: "passthrough", cache: { max: 1 } }] }, {}),
      ),
    ).toMatch(/no fallback or cache of its own/);
  });
});

describe("the environment", () => {
  it("takes a whole config as JSON in CROSSRANK_CONFIG, apiKey included", () => {
    const env = {
      CROSSRANK_CONFIG: JSON.stringify({
        provider: "cohere",
        model: "rerank-v3.5",
        apiKey: "k-123",
        fallback: ["lexical"],
      }),
    };
    expect(resolveConfig(undefined, env)).toMatchObject({
      provider: "cohere",
      apiKey: "k-123",
      fallback: [{ provider: "lexical" }],
    });
  });

  it("says which variable is wrong, without echoing it", () => {
    expect(
      failure(() => resolveConfig(undefined, { CROSSRANK_CONFIG: '{"provider":"cohere","apiKey":"SECRET-1' })),
    ).toMatch(/^CROSSRANK_CONFIG is not valid JSON/);
    expect(failure(() => resolveConfig(undefined, { CROSSRANK_CONFIG: '{"provider":"local","dtype":"q4"}' }))).toMatch(
      /^CROSSRANK_CONFIG: .*config\.dtype/,
    );
    expect(failure(() => resolveConfig(undefined, { CROSSRANK_CONFIG: "[1]" }))).toMatch(/must be a JSON object/);
    expect(
      failure(() =>
        resolveConfig(undefined, { CROSSRANK_CONFIG: '{"provider":"lexical"}', CROSSRANK_PROVIDER: "local" }),
      ),
    ).toMatch(/both set/);
    const message = failure(() => resolveConfig(undefined, { CROSSRANK_PROVIDER: "lexical?k1=SECRET-12" }));
    expect(message).toMatch(/^CROSSRANK_PROVIDER \/ CROSSRANK_MODEL: .*"k1" must be a number/);
    expect(message).not.toContain("SECRET");
  });

  it("combines CROSSRANK_PROVIDER options with CROSSRANK_MODEL", () => {
    expect(configFromEnv({ CROSSRANK_PROVIDER: "local?dtype=q8", CROSSRANK_MODEL: "/srv/model" })).toEqual({
      provider: "local",
      dtype: "q8",
      modelPath: "/srv/model",
    });
    expect(configFromEnv({ CROSSRANK_PROVIDER: "http:http://127.0.0.1:1", CROSSRANK_MODEL: "bge" })).toEqual({
      provider: "http",
      url: "http://127.0.0.1:1",
      model: "bge",
    });
  });

  it("reads Cohere's SDK variable CO_API_KEY after COHERE_API_KEY", () => {
    expect(resolveConfig("cohere", { CO_API_KEY: "co-key" })).toMatchObject({ apiKey: "co-key" });
    expect(resolveConfig("cohere", { CO_API_KEY: "co-key", COHERE_API_KEY: "cohere-key" })).not.toHaveProperty(
      "apiKey",
    );
    expect(resolveConfig({ provider: "cohere", apiKey: "mine" }, { CO_API_KEY: "co-key" })).toMatchObject({
      apiKey: "mine",
    });
  });
});

describe("properties", () => {
  const text = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() === s);
  const cache = fc.record(
    { max: fc.integer({ min: 1, max: 1e6 }), ttlMs: fc.option(fc.integer({ min: 1, max: 1e9 }), { nil: undefined }) },
    { requiredKeys: ["max"] },
  );
  const member = fc.oneof(
    fc.record(
      {
        provider: fc.constant("local"),
        model: text,
        modelPath: fc.constantFrom("./m", "/opt/m dir", "../x?y|z", "C:\\models\\m"),
        dtype: fc.constantFrom("fp32", "q8"),
        workers: fc.integer({ min: 1, max: 64 }),
        mapWeights: fc.boolean(),
      },
      { requiredKeys: ["provider"] },
    ),
    fc.record(
      {
        provider: fc.constantFrom("cohere", "voyage", "jina", "mixedbread"),
        model: text,
        timeoutMs: fc.integer({ min: 1, max: 1e6 }),
      },
      { requiredKeys: ["provider"] },
    ),
    fc.record(
      {
        provider: fc.constant("http"),
        url: fc.webUrl({ withQueryParameters: true, withFragments: true }),
        model: text,
        api: fc.constantFrom("cohere", "tei"),
      },
      { requiredKeys: ["provider", "url"] },
    ),
    fc.record(
      {
        provider: fc.constant("lexical"),
        k1: fc.double({ min: 0.01, max: 10, noNaN: true }),
        b: fc.double({ min: 0, max: 1, noNaN: true }).map((x) => x + 0),
      },
      { requiredKeys: ["provider"] },
    ),
    fc.constant({ provider: "passthrough" }),
  );

  it("every config without secrets survives formatConfigString → parseConfigString", () => {
    const chain = fc
      .tuple(member, fc.option(cache, { nil: undefined }), fc.array(member, { maxLength: 2 }))
      .map(([first, c, rest]) => {
        const config: ParsedConfig = { ...(first as ParsedConfig) };
        if (c) config.cache = c.ttlMs === undefined ? { max: c.max } : c;
        if (rest.length) config.fallback = rest as ParsedConfig[];
        return config;
      });
    fc.assert(
      fc.property(chain, (config) => {
        expect(parseConfigString(formatConfigString(config))).toEqual(config);
      }),
      { numRuns: 300 },
    );
  });

  it("any string parses or fails with INVALID_CONFIG, and a value is never echoed", () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9]{24}$/);
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }),
        secret,
        fc.constantFrom("apiKey", "k1", "workers", "dtype", "zz", "headers.x"),
        (prefix, value, key) => {
          for (const spec of [
            prefix,
            `${prefix}?${key}=${value}`,
            `local?${key}=${value}`,
            `cohere:${value}?${key}=${value}|lexcal`,
          ]) {
            try {
              parseConfigString(spec);
            } catch (e) {
              expect(e).toBeInstanceOf(RerankError);
              expect((e as RerankError).code).toBe("INVALID_CONFIG");
              if (!prefix.includes(value)) expect((e as Error).message).not.toContain(value);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
