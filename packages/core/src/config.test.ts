import { describe, expect, it } from "vitest";
import { parseConfigString, validateConfig } from "./config.js";
import { configFromEnv, createReranker, resolveConfig } from "./create-reranker.js";
import { RerankError } from "./errors.js";
import { loadProviderModule } from "./load-provider.js";

describe("config strings", () => {
  it.each([
    ["local", { provider: "local" }],
    ["local:ms-marco-MiniLM-L-6-v2", { provider: "local", model: "ms-marco-MiniLM-L-6-v2" }],
    ["local:BAAI/bge-reranker-base", { provider: "local", model: "BAAI/bge-reranker-base" }],
    ["local:./models/mine", { provider: "local", modelPath: "./models/mine" }],
    ["local:/opt/models/mine", { provider: "local", modelPath: "/opt/models/mine" }],
    ["cohere:rerank-v3.5", { provider: "cohere", model: "rerank-v3.5" }],
  ])("%s", (spec, expected) => {
    expect(parseConfigString(spec)).toEqual(expected);
  });

  it("defaults the local model", () => {
    expect(resolveConfig("local", {})).toMatchObject({ provider: "local", model: "ms-marco-MiniLM-L-6-v2", dtype: "fp32" });
  });
});

describe("environment defaults", () => {
  it("uses CROSSRANK_PROVIDER and CROSSRANK_MODEL when no config is given", () => {
    expect(configFromEnv({ CROSSRANK_PROVIDER: "local", CROSSRANK_MODEL: "ms-marco-TinyBERT-L-2-v2" })).toEqual({
      provider: "local",
      model: "ms-marco-TinyBERT-L-2-v2",
    });
    expect(configFromEnv({ CROSSRANK_PROVIDER: "local:/srv/model" })).toEqual({ provider: "local", modelPath: "/srv/model" });
    expect(configFromEnv({})).toEqual({ provider: "local" });
    expect(resolveConfig(undefined, { CROSSRANK_MODEL: "./here" })).toMatchObject({ modelPath: "./here" });
  });
});

describe("config validation names the bad field", () => {
  const message = (input: unknown) => {
    try {
      validateConfig(input);
    } catch (e) {
      expect(e).toBeInstanceOf(RerankError);
      expect((e as RerankError).code).toBe("INVALID_CONFIG");
      return (e as Error).message;
    }
    throw new Error("expected validation to fail");
  };

  it.each([
    [{ provider: "local", dtype: "q4" }, /config\.dtype/],
    [{ provider: "local", threads: 0 }, /config\.threads/],
    [{ provider: "local", maxLength: 1.5 }, /config\.maxLength/],
    [{ provider: "local", longDocuments: "split" }, /config\.longDocuments/],
    [{ provider: "local", modelpath: "/x" }, /modelpath/],
    [{ provider: "bogus" }, /config\.provider must be one of "local"/],
    [{}, /config\.provider/],
    ["not an object", /must be an object/],
  ])("%j", (input, expected) => {
    expect(message(input)).toMatch(expected);
  });
});

describe("provider packages", () => {
  it("names the install command when a provider package is missing", async () => {
    const error = (await loadProviderModule("fancy", "@crossrank/not-installed").catch((e) => e)) as RerankError;
    expect(error.code).toBe("PROVIDER_NOT_INSTALLED");
    expect(error.message).toContain("npm install @crossrank/not-installed");
  });

  it("rejects a config of the wrong type before loading anything", async () => {
    const error = (await createReranker(42 as never).catch((e) => e)) as RerankError;
    expect(error.code).toBe("INVALID_CONFIG");
  });
});
