import { createReranker, registerProvider, type RerankProvider } from "@crossrank/core";
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { DocumentCompressorPipeline } from "@langchain/classic/retrievers/document_compressors";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { Document } from "@langchain/core/documents";
import type { Serialized } from "@langchain/core/load/serializable";
import type { ChainValues } from "@langchain/core/utils/types";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda, RunnablePassthrough, RunnableSequence } from "@langchain/core/runnables";
import { FakeListChatModel, FakeRetriever } from "@langchain/core/utils/testing";
import { describe, expect, it } from "vitest";
import { describeConformance } from "../../../test/conformance/suite.js";
import { TINY } from "../../../test/setup/fixture-paths.js";
import { countingProvider, deepFreeze } from "../../../test/support/adapter-provider.js";
import { CrossEncoderReranker } from "./cross-encoder-reranker.js";

const QUERY = "when is low tide at the harbour";
const DOCS = [
  new Document({ id: "d0", pageContent: "The harbour opens at dawn for fishing boats.", metadata: { source: "guide", page: 1 } }),
  new Document({ id: "d1", pageContent: "Tide tables list high and low water for each harbour.", metadata: { source: "tables", page: 2 } }),
  new Document({ id: "d2", pageContent: "A recipe for bread with flour and water.", metadata: { source: "cookbook", page: 3 } }),
  new Document({ id: "d3", pageContent: "Low tide exposes the harbour wall; check the tide tables before walking out.", metadata: { source: "safety", page: 4 } }),
  new Document({ id: "d4", pageContent: "Boats need fuel.", metadata: { source: "misc", page: 5 } }),
];

/** The adapter seen through crossrank's own contract (only the adapter is called), for the conformance suite. */
function throughAdapter(inner: () => Promise<RerankProvider>): () => Promise<RerankProvider> {
  return async () => {
    const provider = await inner();
    const adapter = new CrossEncoderReranker({ reranker: provider });
    return {
      provider: provider.provider,
      model: provider.model,
      async rerank(query, documents, options) {
        const results = await adapter.rerank(documents, query, options ?? {});
        return results.map((r) => ({ index: r.index, score: r.relevanceScore, rawScore: r.relevanceScore }));
      },
      close: provider.close,
    };
  };
}

describeConformance({ name: "LangChain adapter over lexical", create: throughAdapter(() => createReranker("lexical")), scoresDependOnCandidateSet: true });
describeConformance({ name: "LangChain adapter over local", create: throughAdapter(() => createReranker({ provider: "local", modelPath: TINY.bert })) });

/** A real LangChain callback handler that records the run tree it is shown. */
class RecordingHandler extends BaseCallbackHandler {
  name = "recording";
  readonly runs = new Map<string, { name: string | undefined; parent: string | undefined; inputs?: unknown; outputs?: unknown; error?: unknown }>();
  override async handleRetrieverStart(_r: Serialized, query: string, runId: string, parentRunId?: string, _tags?: string[], _meta?: Record<string, unknown>, name?: string) {
    this.runs.set(runId, { name: name ?? "retriever", parent: parentRunId, inputs: query });
  }
  // The order LangChain's CallbackManager calls it with (as its own BaseTracer reads it), not the declared one.
  override async handleChainStart(chain: Serialized, inputs: ChainValues, runId: string, parentRunId?: string, _tags?: string[], _meta?: Record<string, unknown>, _runType?: string, name?: string) {
    this.runs.set(runId, { name: name ?? chain.id.at(-1), parent: parentRunId, inputs });
  }
  override async handleChainEnd(outputs: ChainValues, runId: string) {
    this.runs.get(runId)!.outputs = outputs;
  }
  override async handleChainError(error: unknown, runId: string) {
    this.runs.get(runId)!.error = error;
  }
  find(name: string) {
    return [...this.runs.entries()].find(([, r]) => r.name === name);
  }
}

describe("CrossEncoderReranker in LangChain's callbacks", () => {
  it("shows up as a run under ContextualCompressionRetriever.invoke(query, { callbacks }), with inputs, scores and time", async () => {
    const handler = new RecordingHandler();
    const retriever = new ContextualCompressionRetriever({
      baseRetriever: new FakeRetriever({ output: DOCS }),
      baseCompressor: new CrossEncoderReranker({ config: "lexical", topN: 2 }),
    });
    const out = await retriever.invoke(QUERY, { callbacks: [handler] });
    const [, run] = handler.find("CrossEncoderReranker")!;
    const retrieverRun = [...handler.runs.entries()].find(([, r]) => r.inputs === QUERY && r.name !== "CrossEncoderReranker");
    expect(run.parent).toBe(retrieverRun?.[0]);
    expect(run.inputs).toEqual({ query: QUERY, documents: DOCS.length, topN: 2 });
    const outputs = run.outputs as { documents: number; ids: string[]; scores: number[]; servedBy: string; durationMs: number };
    expect(outputs.ids).toEqual(out.map((d) => d.id));
    expect(outputs.scores).toEqual(out.map((d) => d.metadata.relevanceScore));
    expect(outputs.servedBy).toBe("lexical:bm25");
    expect(outputs.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("reports a failure on its run and rethrows it", async () => {
    const handler = new RecordingHandler();
    const reranker = new CrossEncoderReranker({ config: "local:./no/such/model" });
    await expect(reranker.compressDocuments(DOCS, QUERY, [handler])).rejects.toMatchObject({ code: "MODEL_NOT_FOUND" });
    const [, run] = handler.find("CrossEncoderReranker")!;
    expect((run.error as { code?: string }).code).toBe("MODEL_NOT_FOUND");
    expect(run.outputs).toBeUndefined();
  });
});

describe("CrossEncoderReranker (LangChain)", () => {
  it("returns new Documents best first, keeping id, pageContent and metadata, adding relevanceScore", async () => {
    const input = deepFreeze(DOCS.map((d) => new Document({ id: d.id, pageContent: d.pageContent, metadata: { ...d.metadata } })));
    const reranker = new CrossEncoderReranker({ config: "lexical" });
    const out = await reranker.compressDocuments(input, QUERY);
    expect(out.map((d) => d.id)).toEqual(["d3", "d1", "d0"]);
    for (const d of out) {
      const source = DOCS.find((s) => s.id === d.id)!;
      expect(d.pageContent).toBe(source.pageContent);
      expect(d.metadata).toEqual({ ...source.metadata, relevanceScore: expect.any(Number) });
      expect(input).not.toContain(d);
    }
    expect(out[0]!.metadata.relevanceScore).toBeGreaterThan(out[1]!.metadata.relevanceScore);
    expect(input.every((d) => !("relevanceScore" in d.metadata))).toBe(true);
  });

  it("applies topN and minScore, and makes no call for no documents", async () => {
    const counting = countingProvider(await createReranker("lexical"));
    const top2 = new CrossEncoderReranker({ reranker: counting, topN: 2 });
    expect(await top2.compressDocuments(DOCS, QUERY)).toHaveLength(2);
    const strict = new CrossEncoderReranker({ reranker: counting, topN: 5, minScore: 0.5 });
    const kept = await strict.compressDocuments(DOCS, QUERY);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.every((d) => d.metadata.relevanceScore >= 0.5)).toBe(true);
    expect(kept.length).toBeLessThan(5);
    const calls = counting.calls;
    expect(await top2.compressDocuments([], QUERY)).toEqual([]);
    expect(counting.calls).toBe(calls);
  });

  it("rerank() is shaped like CohereRerank.rerank", async () => {
    const reranker = new CrossEncoderReranker({ config: "lexical" });
    const fromStrings = await reranker.rerank(DOCS.map((d) => d.pageContent), QUERY, { topN: 2 });
    expect(fromStrings).toEqual([
      { index: 3, relevanceScore: expect.any(Number) },
      { index: 1, relevanceScore: expect.any(Number) },
    ]);
    expect(await reranker.rerank(DOCS, QUERY, { topN: 2 })).toEqual(fromStrings);
    expect(await reranker.rerank(DOCS.map((d) => ({ text: d.pageContent })), QUERY, { topN: 2 })).toEqual(fromStrings);
    expect(await reranker.rerank(DOCS, QUERY)).toHaveLength(5);
  });

  it("rejects bad options and bad input clearly", async () => {
    expect(() => new CrossEncoderReranker({ topN: 0 })).toThrow(/topN must be a positive integer/);
    expect(() => new CrossEncoderReranker({ minScore: 2 })).toThrow(/minScore/);
    const reranker = new CrossEncoderReranker({ config: "lexical" });
    await expect(reranker.compressDocuments(DOCS, "")).rejects.toThrow(/query is empty/);
    await expect(reranker.compressDocuments([{ pageContent: 42 as unknown as string, metadata: {} }], QUERY)).rejects.toThrow(/documents\[0\] must be a string/);
  });

  it("works inside ContextualCompressionRetriever and DocumentCompressorPipeline", async () => {
    const baseRetriever = new FakeRetriever({ output: DOCS });
    const retriever = new ContextualCompressionRetriever({ baseCompressor: new CrossEncoderReranker({ config: "lexical", topN: 2 }), baseRetriever });
    const docs = await retriever.invoke(QUERY);
    expect(docs.map((d) => d.id)).toEqual(["d3", "d1"]);

    const pipeline = new DocumentCompressorPipeline({ transformers: [new CrossEncoderReranker({ config: "lexical", topN: 3 })] });
    const piped = await pipeline.compressDocuments(DOCS, QUERY);
    expect(piped.map((d) => d.id)).toEqual(["d3", "d1", "d0"]);
  });

  it("feeds the reranked context to the prompt of a retrieval chain", async () => {
    const retriever = new ContextualCompressionRetriever({
      baseCompressor: new CrossEncoderReranker({ config: { provider: "local", modelPath: TINY.bert }, topN: 2 }),
      baseRetriever: new FakeRetriever({ output: DOCS }),
    });
    const prompt = ChatPromptTemplate.fromTemplate("Answer from the context.\nContext:\n{context}\nQuestion: {question}");
    const seen: string[] = [];
    const chain = RunnableSequence.from([
      { context: retriever.pipe((docs: Document[]) => docs.map((d) => `[${d.id}] ${d.pageContent}`).join("\n")), question: new RunnablePassthrough() },
      prompt,
      RunnableLambda.from((value: { toString(): string }) => {
        seen.push(value.toString());
        return value;
      }),
      new FakeListChatModel({ responses: ["Check the tide tables."] }),
      new StringOutputParser(),
    ]);
    expect(await chain.invoke(QUERY)).toBe("Check the tide tables.");
    const expected = await new CrossEncoderReranker({ config: { provider: "local", modelPath: TINY.bert }, topN: 2 }).compressDocuments(DOCS, QUERY);
    expect(seen[0]).toContain(expected.map((d) => `[${d.id}] ${d.pageContent}`).join("\n"));
    expect(seen[0]).toContain(`Question: ${QUERY}`);
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

describe("CrossEncoderReranker (LangChain) options, checked at construction", () => {
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
    expect(await owned.rerank(["a", "b"], QUERY)).toHaveLength(2);
    await owned.close();
    expect(made.map((r) => r.closed)).toEqual([1]);
    // Usable again: a new reranker is made.
    await owned.rerank(["a"], QUERY);
    expect(made).toHaveLength(2);
    await owned.close();

    const yours = made[1]!;
    const passed = new CrossEncoderReranker({ reranker: yours as unknown as RerankProvider });
    await passed.rerank(["a"], QUERY);
    await passed.close();
    expect(yours.closed).toBe(1);
  });
});
