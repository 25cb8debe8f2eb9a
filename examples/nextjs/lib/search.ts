import { CrossEncoderReranker } from "@crossrank/langchain";
import { getReranker } from "./reranker";
import { KeywordRetriever } from "./retriever";

export interface Hit {
  id: string | undefined;
  text: string;
  source: unknown;
  relevanceScore: number;
}

/** Retrieve with the first stage, then rerank with crossrank's LangChain document compressor. */
export async function search(query: string, topN = 3): Promise<Hit[]> {
  const candidates = await new KeywordRetriever().invoke(query);
  const compressor = new CrossEncoderReranker({ reranker: await getReranker(), topN });
  const reranked = await compressor.compressDocuments(candidates, query);
  return reranked.map((d) => ({ id: d.id, text: d.pageContent, source: d.metadata.source, relevanceScore: d.metadata.relevanceScore as number }));
}
