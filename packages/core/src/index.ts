export type { RerankResult, RerankOptions, RerankProvider, DocumentScore, ScoringBackend } from "./types.js";
export { RerankError, isRerankError, type RerankErrorCode } from "./errors.js";
export { defineProvider } from "./define-provider.js";
export { rankScores } from "./rank.js";
export { validateQuery, validateDocuments, validateOptions, validateScores, throwIfAborted } from "./validate.js";
export {
  DEFAULT_LOCAL_MODEL,
  PROVIDERS,
  localConfigSchema,
  parseConfigString,
  validateConfig,
  type LocalRerankerConfig,
  type ResolvedLocalConfig,
  type ProviderName,
  type RerankerConfig,
} from "./config.js";
export { createReranker, resolveConfig, configFromEnv, type RerankerSpec } from "./create-reranker.js";
export { loadProviderModule, type ProviderModule } from "./load-provider.js";
