import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createReranker } from "./create-reranker.js";
import type { RerankError } from "./errors.js";
import { createLexicalProvider } from "./lexical.js";

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: RerankError) => e.code,
  );
}

// Warnings are once per process and cause, so each test names a model path of its own.
let paths = 0;
const missingModel = () => `./no/such/model-${process.pid}-${++paths}`;

describe("createReranker: a fallback does not hide a broken primary", () => {
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }) => {
    if (w.code === "CROSSRANK_FALLBACK") warnings.push(w.message);
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  beforeEach(() => {
    warnings.length = 0;
    process.on("warning", onWarning);
  });
  afterEach(() => void process.off("warning", onWarning));

  it("warns once, naming the primary, the error code and message, and how to silence it", async () => {
    const modelPath = missingModel();
    const r = await createReranker({ provider: "local", modelPath, fallback: ["lexical"] });
    const results = await r.rerank("low tide", ["tide tables", "bread"]);
    await r.rerank("low tide", ["tide tables", "bread"]);
    await createReranker({ provider: "local", modelPath, fallback: ["lexical"] });
    await settle();
    expect(results[0]).toMatchObject({ index: 0, servedBy: "lexical:bm25" });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`local:${modelPath}`);
    expect(warnings[0]).toContain("MODEL_NOT_FOUND");
    expect(warnings[0]).toContain(modelPath.slice(2));
    expect(warnings[0]).toMatch(/so lexical is tried in its place/);
    expect(warnings[0]).toMatch(/onFallback \(or onEvent\)/);
    await r.close();
  });

  it("stays quiet for an app that listens with onFallback or onEvent", async () => {
    const heard: string[] = [];
    const broken = () => ({ provider: "local" as const, modelPath: missingModel(), fallback: ["lexical"] });
    const a = await createReranker(broken(), { onFallback: (e) => heard.push(e.error.code) });
    const b = await createReranker(broken(), { onEvent: () => undefined });
    await a.rerank("q", ["a"]);
    await b.rerank("q", ["a"]);
    await settle();
    expect(heard).toEqual(["MODEL_NOT_FOUND"]);
    expect(warnings).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });
});

describe("createReranker: cache and lifecycle", () => {
  it("does not cache a fallback's BM25 scores per document when the primary cannot be set up", async () => {
    const r = await createReranker(
      { provider: "local", modelPath: missingModel(), fallback: ["lexical"], cache: { max: 100 } },
      { onFallback: () => undefined },
    );
    const plain = createLexicalProvider({ provider: "lexical" });
    const first = ["low tide today", "tide tables", "harbour tide"];
    const second = ["low tide today", "bread"];
    expect(await r.rerank("low tide", first)).toEqual(await plain.rerank("low tide", first));
    expect(await r.rerank("low tide", second)).toEqual(await plain.rerank("low tide", second));
    await r.close();
  });

  it("answers CLOSED after close, also for a query the cache holds", async () => {
    const r = await createReranker({ provider: "lexical", cache: { max: 100 } });
    await r.rerank("low tide", ["tide tables", "bread"]);
    await r.close();
    await r.close();
    expect(await codeOf(r.rerank("low tide", ["tide tables", "bread"]))).toBe("CLOSED");
  });
});
