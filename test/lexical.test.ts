import { bm25Scores, createReranker, tokenize } from "@crossrank/core";
import { describe, expect, it } from "vitest";
import { describeConformance } from "./conformance/suite.js";
import { failure } from "./support/failure.js";

describeConformance({ name: "lexical (BM25 baseline)", create: () => createReranker("lexical"), scoresDependOnCandidateSet: true });

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
