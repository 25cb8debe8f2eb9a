import { AsyncLocalStorage } from "node:async_hooks";
import type { RerankErrorCode } from "./errors.js";

/** One reranking call, reported when it ends. */
export interface RerankCallEvent {
  type: "rerank";
  provider: string;
  model: string;
  /** The backend that answered ("provider:model"); after a fallback, not the first one. */
  servedBy: string | undefined;
  documents: number;
  topN: number | undefined;
  durationMs: number;
  ok: boolean;
  errorCode?: RerankErrorCode;
  /** Local models: (query, document) pairs run and their tokens; documents cut to fit, and split into windows. */
  pairs?: number;
  tokens?: number;
  truncated?: number;
  chunked?: number;
  /** With `cache`: documents answered from it, and sent to the backend. */
  cacheHits?: number;
  cacheMisses?: number;
  /** Hosted APIs: requests sent (retries included), and the HTTP statuses that were retried. */
  requests?: number;
  retries?: number;
  retriedStatuses?: number[];
  /** Fallback hand-overs during this call. */
  fallbacks?: { failed: string; next: string | undefined; errorCode: RerankErrorCode }[];
  /** Only with `includeText: true`. */
  query?: string;
  texts?: string[];
}

/** One request to a hosted API (after its retries). */
export interface HostedRequestEvent {
  type: "request";
  provider: string;
  model: string;
  documents: number;
  attempts: number;
  /** The HTTP status of each attempt that was retried (0 for a network error or timeout). */
  retriedStatuses: number[];
  status: number | undefined;
  requestId: string | undefined;
  durationMs: number;
  ok: boolean;
}

/** One inference batch of a local model. */
export interface LocalBatchEvent {
  type: "batch";
  provider: string;
  model: string;
  pairs: number;
  tokens: number;
  paddedTokens: number;
  durationMs: number;
}

export type RerankEvent = RerankCallEvent | HostedRequestEvent | LocalBatchEvent;

/** The counts of a call's event that its providers add to while it runs. */
type CountKey = "pairs" | "tokens" | "truncated" | "chunked" | "cacheHits" | "cacheMisses" | "requests" | "retries";

/** What a call's instrumentation collects while it runs; providers report into it through the functions below. */
export interface CallTrace {
  emit(event: HostedRequestEvent | LocalBatchEvent): void;
  counts: Pick<RerankCallEvent, CountKey> & {
    retriedStatuses: number[];
    fallbacks: NonNullable<RerankCallEvent["fallbacks"]>;
  };
}

// One store per process, even with two copies of @crossrank/core (a bundle and node_modules).
const STORE = Symbol.for("crossrank.telemetry.v1");
const shared = globalThis as Record<symbol, AsyncLocalStorage<CallTrace> | undefined>;
const store: AsyncLocalStorage<CallTrace> = (shared[STORE] ??= new AsyncLocalStorage<CallTrace>());

export function runTraced<T>(trace: CallTrace, work: () => Promise<T>): Promise<T> {
  return store.run(trace, work);
}

/** The trace of the call this code runs in, if anyone is listening. */
export function currentTrace(): CallTrace | undefined {
  return store.getStore();
}

const add = (key: CountKey, n: number) => {
  const t = currentTrace();
  if (t) t.counts[key] = (t.counts[key] ?? 0) + n;
};

/** A local provider's work on one call. */
export function reportLocalWork(work: { pairs: number; tokens: number; truncated: number; chunked: number }): void {
  add("pairs", work.pairs);
  add("tokens", work.tokens);
  add("truncated", work.truncated);
  add("chunked", work.chunked);
}

export function reportBatch(event: Omit<LocalBatchEvent, "type">): void {
  currentTrace()?.emit({ type: "batch", ...event });
}

export function reportRequest(event: Omit<HostedRequestEvent, "type">): void {
  const t = currentTrace();
  if (!t) return;
  add("requests", event.attempts);
  add("retries", event.attempts - 1);
  t.counts.retriedStatuses.push(...event.retriedStatuses);
  t.emit({ type: "request", ...event });
}

export function reportCache(hits: number, misses: number): void {
  add("cacheHits", hits);
  add("cacheMisses", misses);
}

export function reportFallback(failed: string, next: string | undefined, errorCode: RerankErrorCode): void {
  currentTrace()?.counts.fallbacks.push({ failed, next, errorCode });
}
