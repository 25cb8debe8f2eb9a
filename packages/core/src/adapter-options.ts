import { createReranker, type RerankerSpec } from "./create-reranker.js";
import { RerankError } from "./errors.js";
import type { RerankProvider } from "./types.js";

/** What the framework adapters (LangChain, LlamaIndex) take. */
export interface AdapterOptions {
  /** A reranker you created (and close) yourself. */
  reranker?: RerankProvider;
  /** Or a config for createReranker; created on first use. */
  config?: RerankerSpec;
  /** Items kept, best first. */
  topN?: number;
  /** Drop items scoring below this [0, 1] score. */
  minScore?: number;
}

export interface AdapterSettings {
  topN: number;
  minScore: number | undefined;
  /** The reranker, created on first call; a failed setup (say, offline) is tried again on the next. */
  provider(): Promise<RerankProvider>;
}

/** Validates an adapter's options once, at construction, where a mistake is easiest to see. */
export function adapterSettings(options: AdapterOptions, defaultTopN: number): AdapterSettings {
  if (options.reranker && options.config !== undefined) throw new RerankError("INVALID_CONFIG", "pass a reranker or a config, not both");
  const topN = options.topN ?? defaultTopN;
  if (!Number.isInteger(topN) || topN < 1) throw new RerankError("INVALID_CONFIG", `topN must be a positive integer, got ${topN}`);
  if (options.minScore !== undefined && !(options.minScore >= 0 && options.minScore <= 1)) {
    throw new RerankError("INVALID_CONFIG", `minScore must be a number in [0, 1], got ${options.minScore}`);
  }
  let pending: Promise<RerankProvider> | undefined;
  return {
    topN,
    minScore: options.minScore,
    provider() {
      if (!pending) {
        pending = options.reranker ? Promise.resolve(options.reranker) : createReranker(options.config);
        pending.catch(() => (pending = undefined));
      }
      return pending;
    },
  };
}
