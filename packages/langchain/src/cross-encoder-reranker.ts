import { adapterSettings, RerankError, type AdapterOptions, type AdapterSettings } from "@crossrank/core";
import type { Callbacks } from "@langchain/core/callbacks/manager";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";

/** `reranker` or `config`; `topN` (default 3, as @langchain/cohere's CohereRerank); `minScore`. */
export type CrossEncoderRerankerFields = AdapterOptions;

export const DEFAULT_TOP_N = 3;

/**
 * A LangChain document compressor that reranks with any crossrank provider: drop it into
 * ContextualCompressionRetriever or DocumentCompressorPipeline. Returns new Documents (id, pageContent and
 * metadata kept) with `metadata.relevanceScore`; the input documents are never modified.
 */
export class CrossEncoderReranker extends BaseDocumentCompressor {
  readonly topN: number;
  readonly minScore: number | undefined;
  private readonly settings: AdapterSettings;

  constructor(fields: CrossEncoderRerankerFields = {}) {
    super();
    this.settings = adapterSettings(fields, DEFAULT_TOP_N);
    this.topN = this.settings.topN;
    this.minScore = this.settings.minScore;
  }

  async compressDocuments(documents: DocumentInterface[], query: string, _callbacks?: Callbacks): Promise<DocumentInterface[]> {
    if (documents.length === 0) return [];
    const provider = await this.settings.provider();
    const results = await provider.rerank(
      query,
      documents.map((d) => d.pageContent),
      { topN: this.topN },
    );
    return results
      .filter((r) => this.minScore === undefined || r.score >= this.minScore)
      .map((r) => {
        const source = documents[r.index]!;
        return new Document({ pageContent: source.pageContent, metadata: { ...source.metadata, relevanceScore: r.score }, id: source.id });
      });
  }

  /**
   * Scores without building Documents, shaped like @langchain/cohere's `CohereRerank.rerank`, so switching from
   * it is a one-line change. Strings, Documents, or records with a `text` field.
   */
  async rerank(
    documents: Array<DocumentInterface | string | Record<string, string>>,
    query: string,
    options: { topN?: number; signal?: AbortSignal } = {},
  ): Promise<Array<{ index: number; relevanceScore: number }>> {
    if (!Array.isArray(documents)) throw new RerankError("INVALID_INPUT", "documents must be an array");
    if (documents.length === 0) return [];
    const texts = documents.map((d, i) => {
      if (typeof d === "string") return d;
      if (d && typeof (d as DocumentInterface).pageContent === "string") return (d as DocumentInterface).pageContent;
      if (d && typeof (d as Record<string, string>).text === "string") return (d as Record<string, string>).text!;
      throw new RerankError("INVALID_INPUT", `documents[${i}] must be a string, a Document or an object with a text field`);
    });
    const provider = await this.settings.provider();
    const results = await provider.rerank(query, texts, { ...(options.topN === undefined ? {} : { topN: options.topN }), ...(options.signal ? { signal: options.signal } : {}) });
    return results.map((r) => ({ index: r.index, relevanceScore: r.score }));
  }
}
