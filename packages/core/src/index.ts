export type { RerankResult, RerankOptions, RerankProvider, Reranker, DocumentScore, ScoringBackend } from "./types.js";
export { RerankError, isRerankError, type RerankErrorCode } from "./errors.js";
export { defineProvider } from "./define-provider.js";
export {
  defineHostedBackend,
  limitsFromConfig,
  requireApiKey,
  HttpStatusError,
  InvalidResponseError,
  type HostedBackendSpec,
  type HostedBatchResult,
  type HostedLimits,
} from "./hosted.js";
export { withRetries, TransientError, parseRetryAfter, type RetryPolicy } from "./retry.js";
export { MAX_RETRY_AFTER_MS, RetryAfterTooLongError } from "./retry.js";
export {
  originBoundFetch,
  configuredUrl,
  maxResponseBytesFromEnv,
  DEFAULT_MAX_RESPONSE_BYTES,
  MAX_REDIRECTS,
  CrossOriginRedirectError,
  RedirectRefusedError,
  ResponseTooLargeError,
} from "./origin-bound-fetch.js";
export { createRedactor, safeRequestId, MAX_REQUEST_ID_LENGTH, type Redactor } from "./redact.js";
export { checkResultCount } from "./hosted.js";
export { withResultCache, type CacheOptions } from "./result-cache.js";
export { createFallbackChain, type FallbackEvent, type FallbackMember } from "./fallback.js";
export { rankScores } from "./rank.js";
export { validateQuery, validateDocuments, validateOptions, validateScores, throwIfAborted } from "./validate.js";
export {
  DEFAULT_LOCAL_MODEL,
  PROVIDERS,
  localConfigSchema,
  lexicalConfigSchema,
  cohereConfigSchema,
  mixedbreadConfigSchema,
  httpConfigSchema,
  passthroughConfigSchema,
  voyageConfigSchema,
  jinaConfigSchema,
  parseConfigString,
  validateConfig,
  parseProviderConfig,
  type LocalRerankerConfig,
  type LexicalRerankerConfig,
  type ResolvedLocalConfig,
  type CohereRerankerConfig,
  type ResolvedCohereConfig,
  type MixedbreadRerankerConfig,
  type ResolvedMixedbreadConfig,
  type HttpRerankerConfig,
  type PassthroughRerankerConfig,
  type VoyageRerankerConfig,
  type ResolvedVoyageConfig,
  type JinaRerankerConfig,
  type ResolvedJinaConfig,
  type ResolvedHttpConfig,
  type ProviderName,
  type RerankerConfig,
  type ResolvedConfig,
} from "./config.js";
export { formatConfigString, parseConfigJson, type ParsedConfig } from "./config-string.js";
export { closest } from "./did-you-mean.js";
export {
  createReranker,
  resolveConfig,
  configFromEnv,
  describeConfig,
  type RerankerSpec,
  type CreateRerankerOptions,
} from "./create-reranker.js";
export { loadProviderModule } from "./load-provider.js";
export { registerProvider, type ProviderModule } from "./provider-registry.js";
export { createLexicalProvider, createPassthroughProvider, bm25Scores, tokenize } from "./lexical.js";
export { estimateTokens, planRequests, type TokenBudget } from "./token-budget.js";
export { postJson } from "./post-json.js";
export { errorBodyMessage } from "./error-body.js";
export { trimTrailingSlashes } from "./trailing-slashes.js";
export { sigmoid } from "./sigmoid.js";
export { adapterSettings, type AdapterOptions, type AdapterSettings } from "./adapter-options.js";
export { callerFile } from "./runtime-location.js";
export {
  reportBatch,
  reportLocalWork,
  reportRequest,
  type RerankEvent,
  type RerankCallEvent,
  type HostedRequestEvent,
  type LocalBatchEvent,
} from "./telemetry.js";
export type { ObserveOptions } from "./observe.js";
