import type { RerankProvider } from "./types.js";

/** What a provider package exports for `createReranker`. */
export interface ProviderModule {
  createProvider(config: unknown): Promise<RerankProvider>;
}

/**
 * Provider packages register themselves here when they are imported, so that a bundle that imports one (and so
 * contains it) needs no run-time lookup. The map lives on globalThis under a registered symbol: an app whose
 * bundler left two copies of @crossrank/core (one bundled, one loaded from node_modules) still sees one registry.
 */
const REGISTRY = Symbol.for("crossrank.providers.v1");
const registry: Map<string, ProviderModule> = ((globalThis as Record<symbol, unknown>)[REGISTRY] as Map<string, ProviderModule> | undefined) ??
  ((globalThis as Record<symbol, unknown>)[REGISTRY] = new Map<string, ProviderModule>());

/** Called by a provider package as it is imported: `registerProvider("local", { createProvider })`. */
export function registerProvider(provider: string, module: ProviderModule): void {
  registry.set(provider, module);
}

export function registeredProvider(provider: string): ProviderModule | undefined {
  return registry.get(provider);
}
