import { DEFAULT_LOCAL_MODEL, PROVIDERS, parseConfigString, validateConfig, type RerankerConfig, type ResolvedConfig } from "./config.js";
import { isRerankError, RerankError } from "./errors.js";
import { parseConfigJson, withModel } from "./config-string.js";
import { createFallbackChain, type FallbackEvent } from "./fallback.js";
import { createLexicalProvider, createPassthroughProvider } from "./lexical.js";
import { loadProviderModule } from "./load-provider.js";
import { loadOpenTelemetry, withObservability, type ObserveOptions } from "./observe.js";
import { withResultCache } from "./result-cache.js";
import type { Reranker, RerankProvider } from "./types.js";
import { validateDocuments, validateOptions, validateQuery } from "./validate.js";

export type RerankerSpec = string | RerankerConfig;

export interface CreateRerankerOptions extends ObserveOptions {
  /** Called when a provider of a fallback chain fails and the next one is tried. */
  onFallback?: (event: FallbackEvent) => void;
}

/**
 * Where the config comes from when the caller gives none: CROSSRANK_CONFIG (a config object as JSON), or
 * CROSSRANK_PROVIDER (a config string such as "local:ms-marco-MiniLM-L-6-v2" or "cohere:rerank-v3.5|lexical")
 * with CROSSRANK_MODEL.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const json = env.CROSSRANK_CONFIG?.trim();
  const spec = env.CROSSRANK_PROVIDER?.trim();
  const model = env.CROSSRANK_MODEL?.trim();
  if (json) {
    if (spec || model) {
      const message = "CROSSRANK_CONFIG and CROSSRANK_PROVIDER / CROSSRANK_MODEL are both set: set one or the other";
      throw new RerankError("INVALID_CONFIG", message);
    }
    return parseConfigJson(json, "CROSSRANK_CONFIG");
  }
  const config = parseConfigString(spec || "local");
  if (model && config.model === undefined && config.modelPath === undefined) return withModel(config, model);
  return config;
}

/** Defaults that depend on more than the schema: the local model, and the key Cohere's own SDK reads. */
function completeConfig(config: ResolvedConfig, env: NodeJS.ProcessEnv): ResolvedConfig {
  if (config.provider === "local" && config.model === undefined && config.modelPath === undefined) {
    return { ...config, model: DEFAULT_LOCAL_MODEL };
  }
  const coKey = env.CO_API_KEY?.trim();
  if (config.provider === "cohere" && config.apiKey === undefined && !env.COHERE_API_KEY?.trim() && coKey) {
    return { ...config, apiKey: coKey };
  }
  return config;
}

/** Validates a config and each of its fallbacks now, so a mistake anywhere in a chain shows at construction. */
function resolveChain(raw: unknown, env: NodeJS.ProcessEnv): ResolvedConfig {
  const config = completeConfig(validateConfig(raw), env);
  if (!config.fallback?.length) return config;
  const fallback = config.fallback.map((member, i) => {
    const field = `config.fallback[${i}]`;
    try {
      const parsed: Record<string, unknown> = typeof member === "string" ? parseConfigString(member) : member;
      if (parsed.fallback !== undefined || parsed.cache !== undefined) {
        const message = "a fallback has no fallback or cache of its own: give them all to the first provider";
        throw new RerankError("INVALID_CONFIG", message);
      }
      return completeConfig(validateConfig(parsed, field), env);
    } catch (error) {
      if (!isRerankError(error) || error.message.includes(field)) throw error;
      throw new RerankError(error.code, `${field}: ${error.message}`);
    }
  });
  return { ...config, fallback };
}

/**
 * Builds a validated config from a string, an object, or (with no argument) the environment. Synchronous and
 * without I/O, so adapters call it at construction.
 */
export function resolveConfig(spec?: RerankerSpec, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  if (spec !== undefined && typeof spec !== "string" && (spec === null || typeof spec !== "object")) {
    const kind = spec === null ? "null" : typeof spec;
    throw new RerankError("INVALID_CONFIG", `a reranker config is an object or a string, got ${kind}`);
  }
  if (spec !== undefined) return resolveChain(typeof spec === "string" ? parseConfigString(spec) : spec, env);
  try {
    return resolveChain(configFromEnv(env), env);
  } catch (error) {
    // Say which variable to fix: the caller passed nothing.
    const source = env.CROSSRANK_CONFIG?.trim() ? "CROSSRANK_CONFIG" : "CROSSRANK_PROVIDER / CROSSRANK_MODEL";
    if (!isRerankError(error) || error.message.startsWith("CROSSRANK_")) throw error;
    throw new RerankError(error.code, `${source}: ${error.message}`);
  }
}

/** A short name for messages: "local:ms-marco-MiniLM-L-6-v2", "cohere:rerank-v3.5". */
export function describeConfig(config: ResolvedConfig): string {
  if (config.provider === "lexical" || config.provider === "passthrough") return config.provider;
  const detail = "modelPath" in config && config.modelPath ? config.modelPath : (config.model ?? "default");
  return `${config.provider}:${detail}`;
}

async function createSingle(config: ResolvedConfig): Promise<RerankProvider> {
  const { fallback: _fallback, cache: _cache, ...own } = config;
  if (own.provider === "lexical") return createLexicalProvider(own);
  if (own.provider === "passthrough") return createPassthroughProvider(own);
  const { packageName } = PROVIDERS[config.provider];
  const mod = await loadProviderModule(config.provider, packageName!);
  return mod.createProvider(own);
}

/** A provider without `close()` (a third-party one) gets one, so every reranker handed out can be closed. */
function asReranker(provider: RerankProvider): Reranker {
  if (typeof provider.close === "function") return provider as Reranker;
  let closed = false;
  return {
    provider: provider.provider,
    model: provider.model,
    ...(provider.scoresDependOnCandidates ? { scoresDependOnCandidates: true } : {}),
    async rerank(query, documents, options) {
      validateQuery(query);
      validateDocuments(documents);
      validateOptions(options);
      if (closed) {
        const message = `${provider.provider} reranker was closed; create a new one`;
        throw new RerankError("CLOSED", message, { provider: provider.provider });
      }
      return provider.rerank(query, documents, options);
    },
    async close() {
      closed = true;
    },
  };
}

/**
 * Creates a reranker from a config object, a config string ("local:ms-marco-MiniLM-L-6-v2",
 * "local:./path/to/model", "cohere:rerank-v3.5"), or the CROSSRANK_PROVIDER / CROSSRANK_MODEL environment
 * variables. The provider's package is imported here, not before. `fallback` and `cache` in the config wrap it:
 * the cache holds the configured provider's own scores only, never a fallback's.
 */
export async function createReranker(spec?: RerankerSpec, options: CreateRerankerOptions = {}): Promise<Reranker> {
  const config = resolveConfig(spec);
  const cached = async (c: ResolvedConfig) => {
    const single = await createSingle(c);
    return c.cache ? withResultCache(single, c.cache) : single;
  };
  let provider: RerankProvider;
  if (config.fallback?.length) {
    const members = [config, ...config.fallback.map((f) => resolveConfig(f as RerankerSpec))].map((c, i) => ({
      label: describeConfig(c),
      // The cache sits on the primary inside the chain: a call it cannot fully answer, when the primary fails,
      // goes whole to the next member instead of mixing two scales.
      create: () => (i === 0 ? cached(c) : createSingle(c)),
    }));
    // Call events already list the hand-overs, so an app with onEvent is not warned either.
    const onFallback = options.onFallback ?? (options.onEvent ? () => undefined : undefined);
    provider = await createFallbackChain(members, onFallback);
  } else {
    provider = await cached(config);
  }
  const reranker = asReranker(provider);
  const otel = await loadOpenTelemetry();
  if (!options.onEvent && !otel) return reranker;
  return withObservability(reranker, options, otel);
}
