import { createReranker, registerProvider, type RerankProvider } from "@crossrank/core";
import { ContextChatEngine } from "@llamaindex/core/chat-engine";
import { BaseEmbedding } from "@llamaindex/core/embeddings";
import { MockLLM } from "@llamaindex/core/llms/mock";
import { RetrieverQueryEngine } from "@llamaindex/core/query-engine";
import { MetadataMode, TextNode, type NodeWithScore } from "@llamaindex/core/schema";
import { Document, Settings, VectorStoreIndex } from "llamaindex";
import { beforeAll, describe, expect, it } from "vitest";
import { describeConformance } from "../../../test/conformance/suite.js";
import { TINY } from "../../../test/setup/fixture-paths.js";
import { countingProvider, deepFreeze } from "../../../test/support/adapter-provider.js";
import { HARBOUR_QUERY, HARBOUR_TEXTS } from "../../../test/support/harbour.js";
import { CrossEncoderReranker } from "./cross-encoder-reranker.js";
import { onRerankEvent, type RerankEndEvent } from "./rerank-events.js";

/** A deterministic bag-of-words embedding: no network, no model, stable vectors. */
class HashingEmbedding extends BaseEmbedding {
  constructor() {
    super();
  }
  async getTextEmbedding(text: string): Promise<number[]> {
    const v = new Array<number>(64).fill(0);
    for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) {
      let h = 0;
      for (const c of w) h = (h * 31 + c.charCodeAt(0)) >>> 0;
      v[h % 64]! += 1;
    }
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  }
}

const QUERY = HARBOUR_QUERY;
const TEXTS = [...HARBOUR_TEXTS, "Boats need fuel."];
const nodes = (): NodeWithScore[] => TEXTS.map((text, i) => ({ node: new TextNode({ id_: `n${i}`, text, metadata: { source: `s${i}` } }), score: 1 - i / 10 }));

/** The adapter seen through crossrank's own contract (only postprocessNodes is called), for the conformance suite. */
function throughAdapter(inner: () => Promise<RerankProvider>): () => Promise<RerankProvider> {
  return async () => {
    const provider = await inner();
    return {
      provider: provider.provider,
      model: provider.model,
      async rerank(query, documents, options) {
        const adapter = new CrossEncoderReranker({ reranker: provider, topN: options?.topN ?? Math.max(documents.length, 1) });
        // Each node's id is its position, so results map back to the caller's indices.
        const input = Array.isArray(documents) ? documents.map((text, i) => ({ node: new TextNode({ id_: String(i), text }), score: 0 })) : (documents as never);
        const out = await adapter.postprocessNodes(input, query);
        return out.map((n) => ({ index: Number(n.node.id_), score: n.score!, rawScore: n.score! }));
      },
      close: provider.close,
    };
  };
}

// postprocessNodes takes no AbortSignal, topN is a constructor option (rejected there, as INVALID_CONFIG), and
// TextNode turns any text into a string.
const limits = ["signal", "topNValidation", "documentTypes"] as const;
describeConformance({ name: "LlamaIndex adapter over lexical", create: throughAdapter(() => createReranker("lexical")), scoresDependOnCandidateSet: true, frameworkLimits: [...limits] });
describeConformance({ name: "LlamaIndex adapter over local", create: throughAdapter(() => createReranker({ provider: "local", modelPath: TINY.bert })), frameworkLimits: [...limits] });

describe("CrossEncoderReranker (LlamaIndex)", () => {
  it("returns new NodeWithScore objects best first with scores, leaving the input untouched", async () => {
    const input = deepFreeze(nodes());
    const out = await new CrossEncoderReranker({ config: "lexical" }).postprocessNodes(input, QUERY);
    expect(out.map((n) => n.node.id_)).toEqual(["n3", "n1", "n0"]);
    expect(out[0]!.score!).toBeGreaterThan(out[1]!.score!);
    for (const n of out) {
      expect(input).not.toContain(n);
      expect(input.some((i) => i.node === n.node)).toBe(true);
    }
    expect(input.map((n) => n.score)).toEqual([1, 0.9, 0.8, 0.7, 0.6]);
  });

  it("takes a multimodal query's text parts", async () => {
    const reranker = new CrossEncoderReranker({ config: "lexical", topN: 1 });
    const out = await reranker.postprocessNodes(nodes(), [
      { type: "text", text: "low tide" },
      { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
      { type: "text", text: "harbour wall" },
    ]);
    expect(out[0]!.node.id_).toBe("n3");
  });

  it("requires a query, returns [] for no nodes, applies topN and minScore", async () => {
    const counting = countingProvider(await createReranker("lexical"));
    const reranker = new CrossEncoderReranker({ reranker: counting, topN: 2 });
    await expect(reranker.postprocessNodes(nodes())).rejects.toThrow(/needs the query/);
    await expect(reranker.postprocessNodes(nodes(), [{ type: "image_url", image_url: { url: "x" } }])).rejects.toThrow(/needs the query/);
    expect(await reranker.postprocessNodes([], QUERY)).toEqual([]);
    expect(counting.calls).toBe(0);
    expect(await reranker.postprocessNodes(nodes(), QUERY)).toHaveLength(2);
    const strict = await new CrossEncoderReranker({ reranker: counting, topN: 5, minScore: 0.5 }).postprocessNodes(nodes(), QUERY);
    expect(strict.every((n) => n.score! >= 0.5)).toBe(true);
    expect(strict.length).toBeLessThan(5);
  });

  it("scores node text alone by default, with metadata when asked", async () => {
    const seen: string[][] = [];
    const spy: RerankProvider = { provider: "spy", model: "spy", rerank: async (_q, docs) => (seen.push(docs), docs.map((_, index) => ({ index, score: 0.5, rawScore: 0 }))) };
    await new CrossEncoderReranker({ reranker: spy }).postprocessNodes(nodes(), QUERY);
    await new CrossEncoderReranker({ reranker: spy, metadataMode: MetadataMode.LLM }).postprocessNodes(nodes(), QUERY);
    expect(seen[0]![0]).toBe(TEXTS[0]);
    expect(seen[1]![0]).toContain("source: s0");
    expect(seen[1]![0]).toContain(TEXTS[0]);
  });

  describe("inside LlamaIndex engines", () => {
    let index: VectorStoreIndex;
    beforeAll(async () => {
      Settings.embedModel = new HashingEmbedding();
      Settings.llm = new MockLLM();
      index = await VectorStoreIndex.fromDocuments(TEXTS.map((text, i) => new Document({ text, id_: `doc${i}` })));
    });

    const expectedTop2 = async () => (await new CrossEncoderReranker({ config: "lexical", topN: 2 }).postprocessNodes(await index.asRetriever({ similarityTopK: 5 }).retrieve(QUERY), QUERY)).map((n) => n.node.getContent(MetadataMode.NONE));

    it("index.asQueryEngine({ nodePostprocessors })", async () => {
      const engine = index.asQueryEngine({ similarityTopK: 5, nodePostprocessors: [new CrossEncoderReranker({ config: "lexical", topN: 2 })] });
      const response = await engine.query({ query: QUERY });
      expect(response.sourceNodes!.map((n) => n.node.getContent(MetadataMode.NONE))).toEqual(await expectedTop2());
      expect(response.sourceNodes![0]!.node.getContent(MetadataMode.NONE)).toBe(TEXTS[3]);
    });

    it("reports rerank-start and rerank-end on LlamaIndex's callback manager, after its retrieve-end", async () => {
      const order: string[] = [];
      const ends: RerankEndEvent[] = [];
      const stopStart = onRerankEvent("rerank-start", (e) => order.push(`rerank-start:${e.nodes.length}`));
      const stopEnd = onRerankEvent("rerank-end", (e) => (order.push("rerank-end"), ends.push(e)));
      const onRetrieve = () => order.push("retrieve-end");
      Settings.callbackManager.on("retrieve-end", onRetrieve);
      try {
        const engine = index.asQueryEngine({ similarityTopK: 5, nodePostprocessors: [new CrossEncoderReranker({ config: "lexical", topN: 2 })] });
        const response = await engine.query({ query: QUERY });
        await new Promise((resolve) => setTimeout(resolve, 10)); // LlamaIndex dispatches on a microtask
        expect(order.filter((o) => o.startsWith("rerank") || o === "retrieve-end").slice(0, 3)).toEqual(["retrieve-end", "rerank-start:5", "rerank-end"]);
        expect(ends[0]!.query).toBe(QUERY);
        expect(ends[0]!.servedBy).toBe("lexical:bm25");
        expect(ends[0]!.nodes.map((n) => n.node.id_)).toEqual(response.sourceNodes!.map((n) => n.node.id_));
        expect(ends[0]!.nodes.map((n) => n.score)).toEqual(response.sourceNodes!.map((n) => n.score));
      } finally {
        stopStart();
        stopEnd();
        Settings.callbackManager.off("retrieve-end", onRetrieve);
      }
    });

    it("RetrieverQueryEngine", async () => {
      const engine = new RetrieverQueryEngine(index.asRetriever({ similarityTopK: 5 }), undefined, [new CrossEncoderReranker({ config: "lexical", topN: 2 })]);
      const response = await engine.query({ query: QUERY });
      expect(response.sourceNodes!.map((n) => n.node.getContent(MetadataMode.NONE))).toEqual(await expectedTop2());
    });

    it("ContextChatEngine", async () => {
      const engine = new ContextChatEngine({
        retriever: index.asRetriever({ similarityTopK: 5 }),
        chatModel: new MockLLM(),
        nodePostprocessors: [new CrossEncoderReranker({ config: { provider: "local", modelPath: TINY.bert }, topN: 2 })],
      });
      const response = await engine.chat({ message: QUERY });
      expect(response.sourceNodes).toHaveLength(2);
      const expected = await new CrossEncoderReranker({ config: { provider: "local", modelPath: TINY.bert }, topN: 2 }).postprocessNodes(await index.asRetriever({ similarityTopK: 5 }).retrieve(QUERY), QUERY);
      expect(response.sourceNodes!.map((n) => n.node.id_)).toEqual(expected.map((n) => n.node.id_));
    });
  });
});

/** Registers a stand-in "jina" provider that records the rerankers it makes, to see what close() closes. */
function recordJinaRerankers(): { closed: number }[] {
  const made: { closed: number }[] = [];
  registerProvider("jina", {
    async createProvider() {
      const reranker = {
        provider: "jina",
        model: "stand-in",
        closed: 0,
        async rerank(_query: string, documents: readonly string[], options?: { topN?: number }) {
          return documents.map((_, index) => ({ index, score: 1 - index / 10, rawScore: 0 })).slice(0, options?.topN);
        },
        async close() {
          reranker.closed++;
        },
      };
      made.push(reranker);
      return reranker;
    },
  });
  return made;
}

describe("CrossEncoderReranker (LlamaIndex) options, checked at construction", () => {
  const invalid = (fields: unknown, expected: RegExp) => {
    let error: unknown;
    try {
      new CrossEncoderReranker(fields as never);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "INVALID_CONFIG" });
    expect((error as Error).message).toMatch(expected);
  };

  it("rejects a misspelt provider, option or config field before any query", () => {
    invalid({ config: "lexcial" }, /did you mean "lexical"/);
    invalid({ config: { provider: "local", dtype: "q4" } }, /config\.dtype/);
    invalid({ config: "cohere:rerank-v3.5|lexical?k1=x" }, /"k1" must be a number/);
    invalid({ confg: "lexical" }, /unknown option "confg"; did you mean "config"/);
    invalid({ metadataMod: "none" }, /did you mean "metadataMode"/);
  });

  it("takes minScore and topN only as numbers", () => {
    invalid({ config: "lexical", minScore: "0.5" }, /minScore must be a number in \[0, 1\], got a string/);
    invalid({ config: "lexical", minScore: null }, /minScore must be a number in \[0, 1\], got null/);
    invalid({ config: "lexical", minScore: Number.NaN }, /minScore/);
    invalid({ config: "lexical", topN: null }, /topN must be a positive integer, got null/);
    invalid({ config: "lexical", topN: "3" }, /topN must be a positive integer, got a string/);
  });

  it("close() closes the reranker it created from config, only once made, and never one passed in", async () => {
    const made = recordJinaRerankers();
    const owned = new CrossEncoderReranker({ config: "jina:stand-in" });
    await owned.close();
    expect(made).toHaveLength(0);
    expect(await owned.postprocessNodes(nodes(), QUERY)).toHaveLength(3);
    await owned.close();
    expect(made.map((r) => r.closed)).toEqual([1]);
    // Usable again: a new reranker is made.
    await owned.postprocessNodes(nodes(), QUERY);
    expect(made).toHaveLength(2);
    await owned.close();

    const yours = made[1]!;
    const passed = new CrossEncoderReranker({ reranker: yours as unknown as RerankProvider });
    await passed.postprocessNodes(nodes(), QUERY);
    await passed.close();
    expect(yours.closed).toBe(1);
  });
});
