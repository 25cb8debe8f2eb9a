import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { RerankerSpec } from "@crossrank/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as switchProvider } from "../examples/switch-provider/src/main.js";
import { TINY } from "./setup/fixture-paths.js";
import { FakeRerankApis } from "./support/fake-rerank-apis.js";

const exec = promisify(execFile);

describe("pnpm demo (the README's quick start)", () => {
  it("runs every example offline and shows the first-stage and reranked orders", async () => {
    const env = { ...process.env };
    delete env.CROSSRANK_OFFLINE;
    delete env.CROSSRANK_PROVIDER;
    const { stdout } = await exec("pnpm", ["demo"], { env, timeout: 120_000 });
    const sections = stdout.split(/\n(?===)/).filter((s) => s.startsWith("=="));
    expect(sections.map((s) => s.split("\n")[0])).toEqual([
      "== LangChain: vector retriever → CrossEncoderReranker (ContextualCompressionRetriever)",
      "== LlamaIndex: VectorStoreIndex retriever → CrossEncoderReranker → query engine",
      "== Vercel AI SDK: vector search → rerank({ model: crossrank.reranking(…) })",
      "== Mastra: vector search → rerankWithScorer({ scorer: new CrossEncoderRelevanceScorer(…) })",
      "== Any provider: the default (CROSSRANK_PROVIDER, else local with lexical fallback)",
    ]);
    // No model can be loaded here: one honest notice for the whole demo, then the lexical baseline answers.
    expect(stdout.match(/notice: /g)).toHaveLength(1);
    expect(sections[0]).toMatch(/notice: local:ms-marco-MiniLM-L-6-v2 not available offline .*not a cross-encoder\./);
    for (const section of sections) {
      expect(section.match(/^query: /gm)).toHaveLength(3);
      expect(section.match(/reranked by lexical:bm25:/g)).toHaveLength(3);
      // Reranking moves something in every example.
      const moved = [...section.matchAll(/^ {4}(\d)\. \S+ +[\d.]+ +\(was #(\d+)\)$/gm)].filter((m) => m[1] !== m[2]);
      expect(moved.length).toBeGreaterThan(0);
    }
  });
});

describe("examples/switch-provider: one code path, any backend by config", () => {
  const apis = new FakeRerankApis("sk-example-key-123456");
  beforeAll(async () => {
    await apis.start();
  });
  afterAll(async () => apis.stop());

  const specs = (): [string, RerankerSpec][] => [
    ["lexical", "lexical"],
    ["local", `local:${TINY.bert}`],
    ["cohere", { provider: "cohere", apiKey: "sk-example-key-123456", baseUrl: apis.url }],
    ["mixedbread", { provider: "mixedbread", apiKey: "sk-example-key-123456", baseUrl: apis.url }],
    ["http (Cohere-compatible)", { provider: "http", url: apis.url, api: "cohere" }],
    ["http (TEI)", { provider: "http", url: apis.url, api: "tei" }],
    ["voyage", { provider: "voyage", apiKey: "sk-example-key-123456", baseUrl: `${apis.url}/voyage` }],
    ["jina", { provider: "jina", apiKey: "sk-example-key-123456", baseUrl: `${apis.url}/jina` }],
    ["passthrough", "passthrough"],
  ];

  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8])("backend #%i", async (i) => {
    const [name, spec] = specs()[i]!;
    const lines: string[] = [];
    await switchProvider((l) => lines.push(l), spec);
    const out = lines.join("\n");
    expect(out.match(/^query: /gm), name).toHaveLength(3);
    expect(out.match(/^ {4}\d\. /gm)).toHaveLength(9);
    const servedBy = name.startsWith("http") ? "http" : name;
    expect(out).toContain(`reranked by ${servedBy}:`);
    // passthrough keeps the first stage's order: nothing moves.
    if (name === "passthrough") expect([...out.matchAll(/^ {4}(\d)\. \S+ +[\d.]+ +\(was #(\d+)\)$/gm)].every((m) => m[1] === m[2])).toBe(true);
  });
});
