import { z } from "zod";
import { closest } from "./did-you-mean.js";
import { RerankError } from "./errors.js";

export const DEFAULT_LOCAL_MODEL = "ms-marco-MiniLM-L-6-v2";

const positiveInt = z.number().int().positive();

/** Options every provider takes: handled by createReranker, never seen by the backend. */
const sharedOptions = {
  /** Tried in order when this provider fails (after its own retries) or cannot be set up. */
  fallback: z.array(z.union([z.string().min(1), z.looseObject({ provider: z.string() })])).optional(),
  /** Remember scores per (provider, model, query, document) in an LRU cache. */
  cache: z.object({ max: positiveInt, ttlMs: positiveInt.optional() }).strict().optional(),
};

export const localConfigSchema = z
  .object({
    provider: z.literal("local"),
    /** A registry name ("ms-marco-MiniLM-L-6-v2") or a Hugging Face hub id ("org/name"). */
    model: z.string().min(1).optional(),
    /** A model directory in the Hugging Face ONNX layout; takes precedence over `model`. */
    modelPath: z.string().min(1).optional(),
    /** fp32 loads onnx/model.onnx, q8 loads onnx/model_quantized.onnx. */
    dtype: z.enum(["fp32", "q8"]).default("fp32"),
    /** ONNX Runtime intra-op threads per worker; default: the cores this process may use, shared among the workers. */
    threads: positiveInt.optional(),
    /** Inference workers, each its own ONNX Runtime session on a worker thread; default min(2, cores). */
    workers: positiveInt.optional(),
    /** Most (query, document) pairs queued or running for this model; past it a call fails at once with OVERLOADED. */
    maxQueuedPairs: positiveInt.default(10_000),
    /** Per call: a call not finished by then fails, and its queued batches are dropped. */
    timeoutMs: positiveInt.optional(),
    /** Upper bound on tokens per (query, document) pair; the model's own limits still apply. */
    maxLength: positiveInt.optional(),
    /** "truncate" scores the start of a long document; "chunk" scores overlapping windows and keeps the best. */
    longDocuments: z.enum(["truncate", "chunk"]).default("truncate"),
    /** Tokens two neighbouring windows share in "chunk" mode; default a quarter of the window. */
    chunkOverlap: z.number().int().nonnegative().optional(),
    /**
     * Most padded tokens (batch size × longest pair) in one inference batch. Activation memory grows with it;
     * speed hardly does past a few hundred tokens (benchmarks/RESULTS.md).
     */
    batchTokens: positiveInt.default(512),
    /** Most pairs in one inference batch. */
    maxBatchSize: positiveInt.default(4),
    /**
     * Load the weights by mapping a once-made copy of the model (under CROSSRANK_CACHE_DIR/weights) instead of
     * reading them into memory: less memory per process and per worker, at the price of that copy on disk.
     */
    mapWeights: z.boolean().default(true),
    /** Keep tokenized texts (passages recur across queries) in a least-recently-used cache; false tokenizes anew. */
    tokenCache: z.boolean().default(true),
    /** Most bytes the token cache holds: token ids plus a fixed cost per text. */
    tokenCacheBytes: positiveInt.default(32 * 1024 * 1024),
    ...sharedOptions,
  })
  .strict();

/** What every hosted API provider takes. */
const hostedOptions = {
  model: z.string().min(1).optional(),
  /** Defaults to the provider's environment variable (COHERE_API_KEY, MXBAI_API_KEY, VOYAGE_API_KEY, JINA_API_KEY). */
  apiKey: z.string().min(1).optional(),
  /** Another endpoint for the same API (a proxy, a regional or self-hosted deployment). */
  baseUrl: z.url().optional(),
  /** Per-request timeout. */
  timeoutMs: positiveInt.default(30_000),
  /** Retries after the first attempt, for 429, 5xx, network errors and timeouts. */
  maxRetries: z.number().int().nonnegative().default(3),
  /** First backoff delay; it doubles with each retry, with jitter. */
  retryDelayMs: positiveInt.default(500),
  /** Requests in flight at once when a call is split. */
  maxConcurrency: positiveInt.default(4),
  /** Documents per request; defaults to the API's documented limit. */
  maxDocumentsPerRequest: positiveInt.optional(),
  ...sharedOptions,
};

export const cohereConfigSchema = z
  .object({
    provider: z.literal("cohere"),
    ...hostedOptions,
    /** Cohere truncates each document to this many tokens (its default: 4096). */
    maxTokensPerDoc: positiveInt.optional(),
  })
  .strict();

export const mixedbreadConfigSchema = z.object({ provider: z.literal("mixedbread"), ...hostedOptions }).strict();

export const httpConfigSchema = z
  .object({
    provider: z.literal("http"),
    ...hostedOptions,
    /** The server's base URL, e.g. http://localhost:8080 (the API path is added). */
    url: z.url(),
    /** "cohere": POST /v1/rerank (vLLM, Infinity, Jina, …); "tei": POST /rerank (text-embeddings-inference). */
    api: z.enum(["cohere", "tei"]).default("cohere"),
    /** Extra headers on every request, e.g. { authorization: "Bearer …" }. */
    headers: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const lexicalConfigSchema = z
  .object({
    provider: z.literal("lexical"),
    /** BM25 term-frequency saturation. */
    k1: z.number().positive().default(1.2),
    /** BM25 length normalisation, 0 (none) to 1 (full). */
    b: z.number().min(0).max(1).default(0.75),
    ...sharedOptions,
  })
  .strict();

export const passthroughConfigSchema = z.object({ provider: z.literal("passthrough"), ...sharedOptions }).strict();

export const voyageConfigSchema = z
  .object({
    provider: z.literal("voyage"),
    ...hostedOptions,
    /** Let Voyage cut a query + document that is over the model's context (its default); false: fail instead. */
    truncation: z.boolean().default(true),
  })
  .strict();

export const jinaConfigSchema = z.object({ provider: z.literal("jina"), ...hostedOptions }).strict();

export type LocalRerankerConfig = z.input<typeof localConfigSchema>;
export type PassthroughRerankerConfig = z.input<typeof passthroughConfigSchema>;
export type ResolvedPassthroughConfig = z.output<typeof passthroughConfigSchema>;
export type VoyageRerankerConfig = z.input<typeof voyageConfigSchema>;
export type ResolvedVoyageConfig = z.output<typeof voyageConfigSchema>;
export type JinaRerankerConfig = z.input<typeof jinaConfigSchema>;
export type ResolvedJinaConfig = z.output<typeof jinaConfigSchema>;
export type LexicalRerankerConfig = z.input<typeof lexicalConfigSchema>;
export type ResolvedLexicalConfig = z.output<typeof lexicalConfigSchema>;
export type ResolvedLocalConfig = z.output<typeof localConfigSchema>;
export type CohereRerankerConfig = z.input<typeof cohereConfigSchema>;
export type ResolvedCohereConfig = z.output<typeof cohereConfigSchema>;
export type MixedbreadRerankerConfig = z.input<typeof mixedbreadConfigSchema>;
export type ResolvedMixedbreadConfig = z.output<typeof mixedbreadConfigSchema>;
export type HttpRerankerConfig = z.input<typeof httpConfigSchema>;
export type ResolvedHttpConfig = z.output<typeof httpConfigSchema>;

/**
 * Providers crossrank knows, the package that implements each, the schema of its config, and the environment
 * variables its API key is read from (in order).
 */
export const PROVIDERS = {
  local: { packageName: "@crossrank/onnx", schema: localConfigSchema, apiKeyEnv: [] },
  /** Built into core: nothing to install. */
  lexical: { packageName: undefined, schema: lexicalConfigSchema, apiKeyEnv: [] },
  passthrough: { packageName: undefined, schema: passthroughConfigSchema, apiKeyEnv: [] },
  /** CO_API_KEY is the variable Cohere's own SDK reads. */
  cohere: { packageName: "@crossrank/cohere", schema: cohereConfigSchema, apiKeyEnv: ["COHERE_API_KEY", "CO_API_KEY"] },
  mixedbread: { packageName: "@crossrank/mixedbread", schema: mixedbreadConfigSchema, apiKeyEnv: ["MXBAI_API_KEY"] },
  /** A self-hosted server's key (optional) has no variable of its own: CROSSRANK_CONFIG can carry it. */
  http: { packageName: "@crossrank/http", schema: httpConfigSchema, apiKeyEnv: [] },
  voyage: { packageName: "@crossrank/voyage", schema: voyageConfigSchema, apiKeyEnv: ["VOYAGE_API_KEY"] },
  jina: { packageName: "@crossrank/jina", schema: jinaConfigSchema, apiKeyEnv: ["JINA_API_KEY"] },
} as const;

export type ProviderName = keyof typeof PROVIDERS;
export type RerankerConfig =
  | LocalRerankerConfig
  | LexicalRerankerConfig
  | PassthroughRerankerConfig
  | CohereRerankerConfig
  | MixedbreadRerankerConfig
  | HttpRerankerConfig
  | VoyageRerankerConfig
  | JinaRerankerConfig;
export type ResolvedConfig =
  | ResolvedLocalConfig
  | ResolvedLexicalConfig
  | ResolvedPassthroughConfig
  | ResolvedCohereConfig
  | ResolvedMixedbreadConfig
  | ResolvedHttpConfig
  | ResolvedVoyageConfig
  | ResolvedJinaConfig;

export function isProviderName(name: string): name is ProviderName {
  return Object.hasOwn(PROVIDERS, name);
}

export { parseConfigString } from "./config-string.js";

/** The provider names, quoted, for messages. */
export function providerList(): string {
  return Object.keys(PROVIDERS).map((p) => `"${p}"`).join(", ");
}

/**
 * Validates a config object against its provider's schema; errors name each bad field (never its value).
 * `field` names the object in messages ("config", "config.fallback[0]").
 */
export function validateConfig(input: unknown, field = "config"): ResolvedConfig {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    const example = `"local:${DEFAULT_LOCAL_MODEL}"`;
    throw new RerankError("INVALID_CONFIG", `${field} must be an object or a config string like ${example}`);
  }
  const provider = (input as { provider?: unknown }).provider;
  if (typeof provider !== "string" || !isProviderName(provider)) {
    const suggestion = typeof provider === "string" ? closest(provider, Object.keys(PROVIDERS)) : undefined;
    const hint = suggestion ? ` (did you mean "${suggestion}"?)` : "";
    throw new RerankError("INVALID_CONFIG", `${field}.provider must be one of ${providerList()}${hint}`);
  }
  const parsed = PROVIDERS[provider].schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.length ? `${field}.${issue.path.join(".")}` : field;
      return `${path}: ${issue.message}${unknownKeyHint(provider, issue)}`;
    });
    throw new RerankError("INVALID_CONFIG", `invalid ${provider} reranker config: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** For an unrecognized key that is a typo of a real one: ` (did you mean "fallback"?)`. */
function unknownKeyHint(provider: ProviderName, issue: z.core.$ZodIssue): string {
  if (issue.code !== "unrecognized_keys" || issue.path.length > 0) return "";
  const known = Object.keys(PROVIDERS[provider].schema.shape);
  const hints = issue.keys.flatMap((key) => {
    const suggestion = closest(key, known);
    return suggestion ? [`"${key}" → "${suggestion}"`] : [];
  });
  return hints.length ? ` (did you mean ${hints.join(", ")}?)` : "";
}

/** Parses a provider's own options inside its package, with the same field-naming errors. */
export function parseProviderConfig<S extends z.ZodType>(schema: S, input: unknown, provider: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `config.${i.path.join(".")}: ${i.message}`);
    throw new RerankError("INVALID_CONFIG", `invalid ${provider} reranker config: ${problems.join("; ")}`, { provider });
  }
  return parsed.data;
}
