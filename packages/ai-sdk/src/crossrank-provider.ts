import { parseConfigString, RerankError, type CreateRerankerOptions, type RerankerConfig, type RerankerSpec, type RerankProvider } from "@crossrank/core";
import { CrossrankRerankingModel } from "./reranking-model.js";

/** Options every model of a provider shares, such as `cache` or `fallback`, merged under each model's config. */
export type CrossrankDefaults = Omit<Partial<RerankerConfig>, "provider"> & Record<string, unknown>;

export interface CrossrankProvider {
  /**
   * A reranking model for the AI SDK's `rerank()`: a crossrank config string ("local:ms-marco-MiniLM-L-6-v2",
   * "cohere:rerank-v3.5"), a config object, or a crossrank reranker you created (and close) yourself.
   */
  reranking(model: RerankerSpec | RerankProvider): CrossrankRerankingModel;
  /** The same, under the name AI SDK providers use for it. */
  rerankingModel(model: RerankerSpec | RerankProvider): CrossrankRerankingModel;
}

export function createCrossrank(defaults: CrossrankDefaults = {}, options: CreateRerankerOptions = {}): CrossrankProvider {
  if (defaults === null || typeof defaults !== "object" || "provider" in defaults) {
    throw new RerankError("INVALID_CONFIG", "createCrossrank(defaults): defaults are shared options (cache, fallback, …) without a provider; name the provider in each reranking() call");
  }
  const withDefaults = (model: RerankerSpec): RerankerSpec => {
    if (Object.keys(defaults).length === 0) return model;
    const config = typeof model === "string" ? parseConfigString(model) : model;
    return { ...defaults, ...config } as RerankerConfig;
  };
  const reranking = (model: RerankerSpec | RerankProvider) =>
    typeof model === "object" && model !== null && "rerank" in model ? new CrossrankRerankingModel(model, options) : new CrossrankRerankingModel(withDefaults(model), options);
  return { reranking, rerankingModel: reranking };
}

/** The default provider: `crossrank.reranking("local:ms-marco-MiniLM-L-6-v2")`. */
export const crossrank: CrossrankProvider = createCrossrank();
