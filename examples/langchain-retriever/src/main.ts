/**
 * Two-stage retrieval in LangChain.js: a vector store's retriever returns 20 candidates, CrossEncoderReranker keeps
 * the best 3. `pnpm --filter @crossrank/example-langchain-retriever start`
 */
import { demoReranker, embedText, PASSAGES, printComparison, QUERIES } from "@crossrank/example-corpus";
import { CrossEncoderReranker } from "@crossrank/langchain";
import { ContextualCompressionRetriever } from "@langchain/classic/retrievers/contextual_compression";
import { MemoryVectorStore } from "@langchain/classic/vectorstores/memory";
import { Document } from "@langchain/core/documents";
import { Embeddings } from "@langchain/core/embeddings";
import { pathToFileURL } from "node:url";

/** The examples' deterministic word-hashing embedding, as a LangChain Embeddings class. */
class HashingEmbeddings extends Embeddings {
  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map(embedText);
  }
  async embedQuery(text: string): Promise<number[]> {
    return embedText(text);
  }
}

export async function run(log: (line: string) => void = console.log): Promise<void> {
  log("== LangChain: vector retriever → CrossEncoderReranker (ContextualCompressionRetriever)");
  const docs = PASSAGES.map((p) => new Document({ id: p.id, pageContent: p.text, metadata: { id: p.id, title: p.title } }));
  const store = await MemoryVectorStore.fromDocuments(docs, new HashingEmbeddings({}));
  const firstStage = store.asRetriever({ k: 20 });
  const reranker = await demoReranker(log);
  const retriever = new ContextualCompressionRetriever({
    baseRetriever: firstStage,
    baseCompressor: new CrossEncoderReranker({ reranker, topN: 3 }),
  });
  for (const query of QUERIES) {
    const candidates = await firstStage.invoke(query);
    const best = await retriever.invoke(query);
    printComparison(
      log,
      query,
      candidates.map((d) => d.metadata.id as string),
      best.map((d) => ({ id: d.metadata.id as string, score: d.metadata.relevanceScore as number })),
      `${reranker.provider}:${reranker.model}`,
    );
  }
  await reranker.close?.();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await run();
