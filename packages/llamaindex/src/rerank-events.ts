import { Settings } from "@llamaindex/core/global";
import type { NodeWithScore } from "@llamaindex/core/schema";

/** Dispatched on LlamaIndex's callback manager before a rerank. */
export interface RerankStartEvent {
  id: string;
  query: string;
  nodes: NodeWithScore[];
  topN: number;
}

/** Dispatched after a rerank: the nodes kept, best first, with their scores. */
export interface RerankEndEvent {
  id: string;
  query: string;
  nodes: NodeWithScore[];
  /** The backend that answered ("provider:model"); after a fallback, not the first one. */
  servedBy: string | undefined;
  durationMs: number;
}

export interface RerankEvents {
  "rerank-start": RerankStartEvent;
  "rerank-end": RerankEndEvent;
}

// LlamaIndex's event map is closed to new names in its types (it is not exported), though its callback manager
// carries any name at run time; these two functions give crossrank's events their types.
type LooseManager = { dispatchEvent(event: string, detail: unknown): void; on(event: string, handler: (e: { detail: unknown }) => void): unknown; off(event: string, handler: (e: { detail: unknown }) => void): unknown };

export function dispatchRerankEvent<K extends keyof RerankEvents>(event: K, detail: RerankEvents[K]): void {
  (Settings.callbackManager as unknown as LooseManager).dispatchEvent(event, detail);
}

/**
 * Listens to crossrank's rerank events on LlamaIndex's callback manager (`Settings.callbackManager`, or the one
 * `Settings.withCallbackManager` scopes), next to LlamaIndex's own "retrieve-end", "llm-end", …. Returns a
 * function that stops listening.
 */
export function onRerankEvent<K extends keyof RerankEvents>(event: K, handler: (detail: RerankEvents[K]) => void): () => void {
  const manager = Settings.callbackManager as unknown as LooseManager;
  const listener = (e: { detail: unknown }) => handler(e.detail as RerankEvents[K]);
  manager.on(event, listener);
  return () => void manager.off(event, listener);
}
