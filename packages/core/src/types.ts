/** One scored document. `index` points into the caller's `documents` array. */
export interface RerankResult {
  index: number;
  /** Relevance in [0, 1]; each provider documents how it derives it. Higher is more relevant. */
  score: number;
  /** The provider's unnormalised value (for local models, the logit). */
  rawScore: number;
  /** Which backend scored it, as "provider:model"; tells a fallback chain's members apart. */
  servedBy?: string;
}

export interface RerankOptions {
  /** Keep only the best `topN` results. A positive integer; values above the document count mean "all". */
  topN?: number;
  signal?: AbortSignal;
}

/** The interface every backend implements: local models and hosted APIs alike. */
export interface RerankProvider {
  readonly provider: string;
  readonly model: string;
  /**
   * True when a document's score depends on the other documents of the call or on their order (BM25 takes its
   * statistics from the candidate set, passthrough scores by position). A result cache then keys by the whole call.
   * Leave it unset for a backend that scores each (query, document) pair on its own, as a cross-encoder does.
   */
  readonly scoresDependOnCandidates?: boolean;
  /** Scores every document against the query; results sorted by score descending, ties by original index. */
  rerank(query: string, documents: string[], options?: RerankOptions): Promise<RerankResult[]>;
  /** Releases resources (model sessions, connections). Optional here so any object with `rerank` can be passed in. */
  close?(): Promise<void>;
}

/**
 * What crossrank hands back (`createReranker`, `defineProvider`, the fallback chain and the result cache): a
 * provider whose `close()` always exists, so `await reranker.close()` compiles under `strict`. After `close()`
 * every call fails with `CLOSED`.
 */
export interface Reranker extends RerankProvider {
  close(): Promise<void>;
}

/** One document's score as a backend reports it, in input order. */
export interface DocumentScore {
  score: number;
  rawScore: number;
}

/**
 * What a provider package implements: score every document, in input order. Validation, empty input, sorting,
 * topN and result checks are added by `defineProvider`, so they behave the same for every backend.
 */
export interface ScoringBackend {
  readonly provider: string;
  readonly model: string;
  /** See `RerankProvider.scoresDependOnCandidates`. */
  readonly scoresDependOnCandidates?: boolean;
  score(query: string, documents: readonly string[], options: { signal?: AbortSignal }): Promise<DocumentScore[]>;
  close?(): Promise<void>;
}
