import { adapterSettings, RerankError, type AdapterOptions, type AdapterSettings } from "@crossrank/core";
import { CallbackManager, type Callbacks } from "@langchain/core/callbacks/manager";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { BaseDocumentCompressor } from "@langchain/core/retrievers/document_compressors";

/**
 * `reranker` or `config` (validated at construction; none: CROSSRANK_CONFIG / CROSSRANK_PROVIDER); `topN` (default 3,
 * as @langchain/cohere's CohereRerank); `minScore`.
 */
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

  /**
   * Reranks and keeps the best `topN`. With `callbacks` (ContextualCompressionRetriever passes its run's), the
   * reranking is a run of its own in the trace (LangSmith and any handler): its inputs' count and query, and
   * on its end the kept documents' ids and scores, who served, and the time it took.
   */
  async compressDocuments(documents: DocumentInterface[], query: string, callbacks?: Callbacks): Promise<DocumentInterface[]> {
    const run = await CallbackManager.configure(callbacks)?.handleChainStart(
      { lc: 1, type: "not_implemented", id: ["crossrank", "CrossEncoderReranker"] },
      { query, documents: Array.isArray(documents) ? documents.length : 0, topN: this.topN },
      undefined,
      undefined,
      undefined,
      undefined,
      "CrossEncoderReranker",
    );
    const started = performance.now();
    try {
      const { kept, servedBy } = await this.rerankDocuments(documents, query);
      await run?.handleChainEnd({
        documents: kept.length,
        ids: kept.map((d) => d.id ?? null),
        scores: kept.map((d) => d.metadata.relevanceScore as number),
        servedBy: servedBy ?? null,
        durationMs: performance.now() - started,
      });
      return kept;
    } catch (error) {
      await run?.handleChainError(error);
      throw error;
    }
  }

  private async rerankDocuments(documents: DocumentInterface[], query: string): Promise<{ kept: DocumentInterface[]; servedBy: string | undefined }> {
    if (documents.length === 0) return { kept: [], servedBy: undefined };
    const provider = await this.settings.provider();
    const results = await provider.rerank(
      query,
      documents.map((d) => d.pageContent),
      { topN: this.topN },
    );
    const kept = results
      .filter((r) => this.minScore === undefined || r.score >= this.minScore)
      .map((r) => {
        const source = documents[r.index]!;
        return new Document({ pageContent: source.pageContent, metadata: { ...source.metadata, relevanceScore: r.score }, id: source.id });
      });
    return { kept, servedBy: results[0]?.servedBy };
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

  /** Releases the reranker this compressor created from `config` (one passed as `reranker` is yours to close). */
  async close(): Promise<void> {
    await this.settings.close();
  }
}
