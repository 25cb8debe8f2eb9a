import { adapterSettings, RerankError, type RerankerSpec, type RerankProvider } from "@crossrank/core";
import { ScoreBatcher } from "./score-batcher.js";

export interface CrossEncoderRelevanceScorerOptions {
  /** A reranker you created (and close) yourself. */
  reranker?: RerankProvider;
  /**
   * Or a crossrank config ("local:ms-marco-MiniLM-L-6-v2", "cohere:rerank-v3.5|lexical", an object), validated at
   * construction and created on first use.
   */
  config?: RerankerSpec;
}

/**
 * A Mastra `RelevanceScoreProvider` backed by any crossrank provider: pass it to `rerankWithScorer({ scorer })`
 * or `createVectorQueryTool({ reranker: { model } })`. `getRelevanceScore(query, text)` resolves to crossrank's
 * score in [0, 1]; the calls Mastra makes for one query's results are scored together in one rerank().
 */
export class CrossEncoderRelevanceScorer {
  private readonly settings: ReturnType<typeof adapterSettings>;
  private readonly batcher: ScoreBatcher;

  constructor(options: CrossEncoderRelevanceScorerOptions = {}) {
    this.settings = adapterSettings(options, 1);
    this.batcher = new ScoreBatcher(() => this.settings.provider());
  }

  async getRelevanceScore(query: string, text: string): Promise<number> {
    if (typeof query !== "string" || query.trim() === "") throw new RerankError("INVALID_INPUT", "getRelevanceScore(query, text): query must be a non-empty string");
    if (typeof text !== "string") throw new RerankError("INVALID_INPUT", `getRelevanceScore(query, text): text must be a string, got ${text === null ? "null" : typeof text}`);
    return this.batcher.score(query, text);
  }

  /** Releases the reranker this scorer created from `config` (one passed as `reranker` is yours to close). */
  async close(): Promise<void> {
    await this.settings.close();
  }
}
