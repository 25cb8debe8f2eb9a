import { Document } from "@langchain/core/documents";
import { BaseRetriever } from "@langchain/core/retrievers";
import { PASSAGES } from "./corpus";

/** The fast first stage: every passage sharing a word with the query, in corpus order. */
export class KeywordRetriever extends BaseRetriever {
  lc_namespace = ["crossrank", "examples"];

  async _getRelevantDocuments(query: string): Promise<Document[]> {
    const words = new Set(query.toLowerCase().match(/\w+/g) ?? []);
    return PASSAGES.filter((p) => (p.text.toLowerCase().match(/\w+/g) ?? []).some((w) => words.has(w))).map(
      (p) => new Document({ id: p.id, pageContent: p.text, metadata: { source: p.source } }),
    );
  }
}
