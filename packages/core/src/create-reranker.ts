import { DEFAULT_LOCAL_MODEL, PROVIDERS, parseConfigString, validateConfig, type RerankerConfig, type ResolvedConfig } from "./config.js";
import { RerankError } from "./errors.js";
import { createFallbackChain, type FallbackEvent } from "./fallback.js";
import { createLexicalProvider, createPassthroughProvider } from "./lexical.js";
import { loadProviderModule } from "./load-provider.js";
import { loadOpenTelemetry, withObservability, type ObserveOptions } from "./observe.js";
import { withResultCache } from "./result-cache.js";
import type { RerankProvider } from "./types.js";

export type RerankerSpec = string | RerankerConfig;

export interface CreateRerankerOptions extends ObserveOptions {
  /** Called when a provider of a fallback chain fails and the next one is tried. */
  onFallback?: (event: FallbackEvent) => void;
}

/**
 * Where the config comes from when the caller gives none: CROSSRANK_PROVIDER (a provider name or a full
 * config string such as "local:ms-marco-MiniLM-L-6-v2") and CROSSRANK_MODEL.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const spec = env.CROSSRANK_PROVIDER?.trim() || "local";
  const config: Record<string, unknown> = parseConfigString(spec);
  const model = env.CROSSRANK_MODEL?.trim();
  if (model && config.model === undefined && config.modelPath === undefined) {
    Object.assign(config, parseConfigString(`${config.provider}:${model}`));
  }
  return config;
}

/** Builds a validated config from a string, an object, or (with no argument) the environment. */
export function resolveConfig(spec?: RerankerSpec, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  if (spec !== undefined && typeof spec !== "string" && (spec === null || typeof spec !== "object")) {
    throw new RerankError("INVALID_CONFIG", `a reranker config is an object or a string, got ${spec === null ? "null" : typeof spec}`);
  }
  const raw = spec === undefined ? configFromEnv(env) : typeof spec === "string" ? parseConfigString(spec) : spec;
  const config = validateConfig(raw);
  if (config.provider === "local" && config.model === undefined && config.modelPath === undefined) {
    return { ...config, model: DEFAULT_LOCAL_MODEL };
  }
  return config;
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

/**
 * Creates a reranker from a config object, a config string ("local:ms-marco-MiniLM-L-6-v2",
 * "local:./path/to/model", "cohere:rerank-v3.5"), or the CROSSRANK_PROVIDER / CROSSRANK_MODEL environment
 * variables. The provider's package is imported here, not before. `fallback` and `cache` in the config wrap it.
 */
export async function createReranker(spec?: RerankerSpec, options: CreateRerankerOptions = {}): Promise<RerankProvider> {
  const config = resolveConfig(spec);
  let provider: RerankProvider;
  if (config.fallback?.length) {
    const members = [config, ...config.fallback.map((f) => resolveConfig(f as RerankerSpec))].map((c) => ({
      label: describeConfig(c),
      create: () => createSingle(c),
    }));
    provider = await createFallbackChain(members, options.onFallback);
  } else {
    provider = await createSingle(config);
  }
  if (config.cache) provider = withResultCache(provider, config.cache);
  const otel = await loadOpenTelemetry();
  return options.onEvent || otel ? withObservability(provider, options, otel) : provider;
}
