import { createReranker, resolveConfig, type RerankerSpec } from "./create-reranker.js";
import { closest } from "./did-you-mean.js";
import { RerankError } from "./errors.js";
import type { RerankProvider } from "./types.js";

/** What the framework adapters (LangChain, LlamaIndex) take. */
export interface AdapterOptions {
  /** A reranker you created (and close) yourself. */
  reranker?: RerankProvider;
  /** Or a config for createReranker (validated at once, created on first use); none: the environment's. */
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
  /**
   * Closes the reranker the adapter created from `config`, if it created one; a reranker passed in is the
   * caller's to close. A later call creates a new one.
   */
  close(): Promise<void>;
}

const ADAPTER_KEYS = ["reranker", "config", "topN", "minScore"];

function kindOf(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

/**
 * Validates an adapter's options once, at construction, where a mistake is easiest to see: the keys (a typo gets
 * a suggestion), `topN`, `minScore` and the whole reranker config. `ownKeys` are the adapter's own options.
 */
export function adapterSettings(
  options: AdapterOptions,
  defaultTopN: number,
  ownKeys: readonly string[] = [],
): AdapterSettings {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new RerankError("INVALID_CONFIG", `the adapter's options must be an object, got ${kindOf(options)}`);
  }
  const known = [...ADAPTER_KEYS, ...ownKeys];
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const suggestion = closest(key, known);
    const hint = suggestion ? `did you mean "${suggestion}"?` : `the options are ${known.join(", ")}`;
    throw new RerankError("INVALID_CONFIG", `unknown option "${key}"; ${hint}`);
  }
  if (options.reranker !== undefined && options.config !== undefined) {
    throw new RerankError("INVALID_CONFIG", "pass a reranker or a config, not both");
  }
  if (options.reranker !== undefined && typeof options.reranker?.rerank !== "function") {
    throw new RerankError(
      "INVALID_CONFIG",
      "reranker must be a crossrank reranker (an object with rerank()); to name one, use config",
    );
  }
  const topN = options.topN === undefined ? defaultTopN : options.topN;
  if (typeof topN !== "number" || !Number.isInteger(topN) || topN < 1) {
    throw new RerankError(
      "INVALID_CONFIG",
      `topN must be a positive integer, got ${typeof topN === "number" ? topN : kindOf(topN)}`,
    );
  }
  const { minScore } = options;
  if (minScore !== undefined && (typeof minScore !== "number" || !(minScore >= 0 && minScore <= 1))) {
    throw new RerankError(
      "INVALID_CONFIG",
      `minScore must be a number in [0, 1], got ${typeof minScore === "number" ? minScore : kindOf(minScore)}`,
    );
  }
  const given = options.reranker;
  const config = given ? undefined : resolveConfig(options.config);
  let pending: Promise<RerankProvider> | undefined;
  return {
    topN,
    minScore,
    provider() {
      if (!pending) {
        pending = given ? Promise.resolve(given) : createReranker(config);
        pending.catch(() => (pending = undefined));
      }
      return pending;
    },
    async close() {
      const created = pending;
      pending = undefined;
      if (given || !created) return;
      await (await created.catch(() => undefined))?.close?.();
    },
  };
}
