import {
  closest,
  parseConfigString,
  PROVIDERS,
  RerankError,
  type CreateRerankerOptions,
  type RerankerConfig,
  type RerankerSpec,
  type RerankProvider,
} from "@crossrank/core";
import { CrossrankRerankingModel } from "./reranking-model.js";

type KeysOfUnion<T> = T extends unknown ? keyof T : never;
type OptionOf<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;

/**
 * Options every model of a provider shares, such as `cache`, `fallback` or `timeoutMs`, merged under each model's
 * config: any option of any provider, and no other (a misspelt one is a type error, and an error at run time).
 */
export type CrossrankDefaults = {
  [K in Exclude<KeysOfUnion<RerankerConfig>, "provider">]?: OptionOf<RerankerConfig, K>;
};

/** Every provider's option names. */
function knownOptions(): string[] {
  const keys = new Set(Object.values(PROVIDERS).flatMap((p) => Object.keys(p.schema.shape)));
  keys.delete("provider");
  return [...keys];
}

function checkDefaults(defaults: unknown): void {
  if (defaults === null || typeof defaults !== "object" || Array.isArray(defaults) || "provider" in defaults) {
    throw new RerankError(
      "INVALID_CONFIG",
      "createCrossrank(defaults): defaults are shared options (cache, fallback, …) without a provider; " +
        "name the provider in each reranking() call",
    );
  }
  const known = knownOptions();
  for (const key of Object.keys(defaults)) {
    if (known.includes(key)) continue;
    const suggestion = closest(key, known);
    const hint = suggestion ? `; did you mean "${suggestion}"?` : "";
    throw new RerankError("INVALID_CONFIG", `createCrossrank(defaults): no provider has an option "${key}"${hint}`);
  }
}

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
  checkDefaults(defaults);
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
