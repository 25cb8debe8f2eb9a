/**
 * Two-stage retrieval in LlamaIndex.TS: a VectorStoreIndex retrieves 20 nodes, CrossEncoderReranker (a node
 * postprocessor) keeps the best 3 for the query engine. The LLM is LlamaIndex's MockLLM, so this runs offline:
 * set Settings.llm to your model to get real answers.
 * `pnpm --filter @crossrank/example-llamaindex-query-engine start`
 */
import { demoReranker, embedText, PASSAGES, printComparison, QUERIES } from "@crossrank/example-corpus";
import { CrossEncoderReranker } from "@crossrank/llamaindex";
import { BaseEmbedding } from "@llamaindex/core/embeddings";
import { MockLLM } from "@llamaindex/core/llms/mock";
import { Document, Settings, VectorStoreIndex } from "llamaindex";
import { pathToFileURL } from "node:url";

/** The examples' deterministic word-hashing embedding, as a LlamaIndex embedding model. */
class HashingEmbedding extends BaseEmbedding {
  constructor() {
    super();
  }
  async getTextEmbedding(text: string): Promise<number[]> {
    return embedText(text);
  }
}

export async function run(log: (line: string) => void = console.log): Promise<void> {
  log("\n== LlamaIndex: VectorStoreIndex retriever → CrossEncoderReranker → query engine");
  Settings.embedModel = new HashingEmbedding();
  Settings.llm = new MockLLM();
  const index = await VectorStoreIndex.fromDocuments(PASSAGES.map((p) => new Document({ text: p.text, id_: p.id, metadata: { id: p.id } })));
  const reranker = await demoReranker(log);
  const retriever = index.asRetriever({ similarityTopK: 20 });
  const engine = index.asQueryEngine({ similarityTopK: 20, nodePostprocessors: [new CrossEncoderReranker({ reranker, topN: 3 })] });
  for (const query of QUERIES) {
    const candidates = await retriever.retrieve(query);
    const response = await engine.query({ query });
    printComparison(
      log,
      query,
      candidates.map((n) => n.node.metadata.id as string),
      (response.sourceNodes ?? []).map((n) => ({ id: n.node.metadata.id as string, score: n.score })),
      `${reranker.provider}:${reranker.model}`,
    );
  }
  await reranker.close?.();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await run();
