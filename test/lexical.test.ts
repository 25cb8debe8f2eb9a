import { bm25Scores, createReranker, tokenize } from "@crossrank/core";
import { describe, expect, it } from "vitest";
import { describeConformance } from "./conformance/suite.js";
import { failure } from "./support/failure.js";

describeConformance({ name: "lexical (BM25 baseline)", create: () => createReranker("lexical"), scoresDependOnCandidateSet: true });

describeConformance({ name: "passthrough (input order)", create: () => createReranker("passthrough"), positional: true });

describe("passthrough provider", () => {
  it("keeps the input order, with rawScore the rank and score 1 / rank", async () => {
    const r = await createReranker("passthrough");
    const docs = ["c", "a", "b", "a"];
    const results = await r.rerank("anything", docs);
    expect(results).toEqual([
      { index: 0, score: 1, rawScore: 1, servedBy: "passthrough:input-order" },
      { index: 1, score: 0.5, rawScore: 2, servedBy: "passthrough:input-order" },
      { index: 2, score: 1 / 3, rawScore: 3, servedBy: "passthrough:input-order" },
      { index: 3, score: 0.25, rawScore: 4, servedBy: "passthrough:input-order" },
    ]);
    expect((await r.rerank("anything", docs, { topN: 2 })).map((x) => x.index)).toEqual([0, 1]);
  });

  it("is the last resort that keeps a failed reranker's call in the first stage's order", async () => {
    const events: string[] = [];
    const r = await createReranker({ provider: "local", modelPath: "./no/such/model", fallback: ["passthrough"] }, { onFallback: (e) => events.push(e.next ?? "none") });
    const results = await r.rerank("q", ["first", "second", "third"]);
    expect(results.map((x) => x.index)).toEqual([0, 1, 2]);
    expect(results[0]!.servedBy).toBe("passthrough:input-order");
    expect(events).toEqual(["passthrough"]);
  });

  it("takes no options but the shared ones", async () => {
    expect((await failure(createReranker({ provider: "passthrough", k1: 1 } as never))).message).toMatch(/passthrough/);
  });
});

describe("lexical provider", () => {
  it("ranks documents that share rarer query terms higher", async () => {
    const r = await createReranker("lexical");
    const docs = [
      "The harbour opens at dawn for fishing boats.",
      "Tide tables list high and low water for each harbour.",
      "A recipe for bread with flour and water.",
      "Low tide exposes the harbour wall; check the tide tables before walking out.",
    ];
    const results = await r.rerank("when is low tide at the harbour", docs);
    expect(results.map((x) => x.index)).toEqual([3, 1, 0, 2]);
    expect(results[3]!.score).toBe(0);
    expect(results.every((x) => x.servedBy === "lexical:bm25")).toBe(true);
  });

  it("computes BM25 with statistics from the candidate set", () => {
    // Two documents, term "tide" in one: idf = ln(1 + (2 - 1 + 0.5) / (1 + 0.5)) = ln 2.
    const [withTerm, without] = bm25Scores("tide", ["tide water", "boats sail"], 1.2, 0.75);
    const tfPart = (1 * 2.2) / (1 + 1.2 * (1 - 0.75 + 0.75 * (2 / 2)));
    expect(withTerm!.rawScore).toBeCloseTo(Math.log(2) * tfPart, 12);
    expect(withTerm!.score).toBeCloseTo(withTerm!.rawScore / (withTerm!.rawScore + 1), 12);
    expect(without).toEqual({ rawScore: 0, score: 0 });
  });

  it("tokenises case- and accent-aware, without function words", () => {
    expect(tokenize("The Café's menu: 3 crêpes, and THE tea!")).toEqual(["café", "s", "menu", "3", "crêpes", "tea"]);
  });

  it("validates its options", async () => {
    expect((await failure(createReranker({ provider: "lexical", b: 2 }))).message).toMatch(/config\.b/);
  });

  it("keeps an app answering when the local model cannot be loaded offline", async () => {
    const notices: string[] = [];
    const r = await createReranker({ provider: "local", model: "ms-marco-MiniLM-L-6-v2", fallback: ["lexical"] }, { onFallback: (e) => notices.push(`${e.failed}: ${e.error.code}`) });
    const results = await r.rerank("low tide", ["tide tables", "bread"]);
    expect(results[0]).toMatchObject({ index: 0, servedBy: "lexical:bm25" });
    expect(notices).toEqual(["local:ms-marco-MiniLM-L-6-v2: MODEL_NOT_FOUND"]);
  });
});
