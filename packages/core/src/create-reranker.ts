import { DEFAULT_LOCAL_MODEL, PROVIDERS, parseConfigString, validateConfig, type RerankerConfig } from "./config.js";
import { RerankError } from "./errors.js";
import { loadProviderModule } from "./load-provider.js";
import type { RerankProvider } from "./types.js";

export type RerankerSpec = string | RerankerConfig;

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
export function resolveConfig(spec?: RerankerSpec, env: NodeJS.ProcessEnv = process.env): RerankerConfig {
  const raw = spec === undefined ? configFromEnv(env) : typeof spec === "string" ? parseConfigString(spec) : spec;
  const config = validateConfig(raw);
  if (config.provider === "local" && config.model === undefined && config.modelPath === undefined) {
    return { ...config, model: DEFAULT_LOCAL_MODEL };
  }
  return config;
}

/**
 * Creates a reranker from a config object, a config string ("local:ms-marco-MiniLM-L-6-v2",
 * "local:./path/to/model"), or the CROSSRANK_PROVIDER / CROSSRANK_MODEL environment variables.
 * The provider's package is imported here, not before.
 */
export async function createReranker(spec?: RerankerSpec): Promise<RerankProvider> {
  if (spec !== undefined && typeof spec !== "string" && (spec === null || typeof spec !== "object")) {
    throw new RerankError("INVALID_CONFIG", `createReranker() takes a config object or a string, got ${spec === null ? "null" : typeof spec}`);
  }
  const config = resolveConfig(spec);
  const { packageName } = PROVIDERS[config.provider];
  const mod = await loadProviderModule(config.provider, packageName);
  return mod.createProvider(config);
}
