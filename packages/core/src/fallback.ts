import { RerankError, isRerankError } from "./errors.js";
import { reportFallback } from "./telemetry.js";
import type { RerankOptions, Reranker, RerankProvider, RerankResult } from "./types.js";
import { validateDocuments, validateOptions, validateQuery } from "./validate.js";

export interface FallbackEvent {
  /** The config that failed, as "provider:model" or its config string. */
  failed: string;
  error: RerankError;
  /** The next one tried, or undefined when none is left. */
  next: string | undefined;
}

export interface FallbackMember {
  label: string;
  create: () => Promise<RerankProvider>;
}

/** Errors that are the caller's, not the backend's: trying another provider would not help. */
function isFinal(error: unknown): boolean {
  return isRerankError(error) && ["INVALID_INPUT", "ABORTED", "CLOSED"].includes(error.code);
}

function asRerankError(error: unknown, label: string): RerankError {
  if (isRerankError(error)) return error;
  return new RerankError("PROVIDER_ERROR", `${label}: ${error instanceof Error ? error.message : String(error)}`);
}

// Per process, so an app that builds a reranker per request is not flooded: one warning per member and error code.
const warnedCauses = new Set<string>();

/** Without a listener, a fallback would hide a broken member for good (a bad model path serving BM25 forever). */
function warnUnheard(event: FallbackEvent): void {
  const cause = `${event.failed}\u0000${event.error.code}`;
  // Bounded, for an app whose configs vary without end (a model path per tenant).
  if (event.next === undefined || warnedCauses.has(cause) || warnedCauses.size >= 1_000) return;
  warnedCauses.add(cause);
  const message =
    `crossrank: ${event.failed} failed, so ${event.next} is tried in its place (${event.error.code}: ` +
    `${event.error.message}). Pass onFallback (or onEvent) to createReranker to handle fallbacks yourself; ` +
    "either one also silences this warning.";
  process.emitWarning(message, { code: "CROSSRANK_FALLBACK" });
}

/**
 * Tries each member in order until one answers. Members are created on first need, so a backend that cannot
 * even be set up (a model that cannot be loaded offline, a missing key) hands over to the next one. Results
 * carry `servedBy`. Without `onFallback`, the first hand-over of each kind is a process warning (CROSSRANK_FALLBACK).
 * `close()` closes every member that was or is being created, once; after it every call fails with CLOSED.
 */
export async function createFallbackChain(
  members: FallbackMember[],
  onFallback?: (event: FallbackEvent) => void,
): Promise<Reranker> {
  if (members.length === 0) throw new RerankError("INVALID_CONFIG", "a fallback chain needs at least one member");
  // A member that cannot be set up stays skipped for the chain's life: its error is reported once.
  const created = new Map<number, Promise<RerankProvider>>();
  const setupFailed = new Set<number>();
  let closed = false;
  let closing: Promise<void> | undefined;
  const closedError = () =>
    new RerankError("CLOSED", `the reranker (${members[0]?.label}) was closed; create a new one`);

  const get = (i: number) => {
    let p = created.get(i);
    if (!p) {
      // Nothing is created once close() has started: it could never be closed.
      if (closed) return Promise.reject(closedError());
      p = new Promise<RerankProvider>((resolve) => resolve(members[i]!.create()));
      created.set(i, p);
      p.catch(() => undefined);
    }
    return p;
  };

  let listenerFailed = false;
  const listenerThrew = (error: unknown) => {
    // A broken listener must not break reranking; say so once.
    if (!listenerFailed) {
      const message = error instanceof Error ? error.message : String(error);
      process.emitWarning(`crossrank onFallback listener threw: ${message}`, { code: "CROSSRANK_ON_FALLBACK" });
    }
    listenerFailed = true;
  };
  const report = (i: number, error: RerankError) => {
    const event: FallbackEvent = { failed: members[i]!.label, error, next: members[i + 1]?.label };
    reportFallback(event.failed, event.next, error.code);
    if (!onFallback) return warnUnheard(event);
    try {
      const returned: unknown = onFallback(event);
      if (returned instanceof Promise) returned.catch(listenerThrew);
    } catch (listenerError) {
      listenerThrew(listenerError);
    }
  };

  // The first member that can be set up names the chain, so a misconfigured primary shows at creation.
  let head: RerankProvider | undefined;
  for (let i = 0; i < members.length && !head; i++) {
    try {
      head = await get(i);
    } catch (error) {
      if (i === members.length - 1) throw asRerankError(error, members[i]!.label);
      setupFailed.add(i);
      report(i, asRerankError(error, members[i]!.label));
    }
  }

  const closeAll = async () => {
    const settled = await Promise.allSettled(created.values());
    const closes = await Promise.allSettled(
      settled.map((r) => (r.status === "fulfilled" ? r.value.close?.() : undefined)),
    );
    const failure = closes.find((r) => r.status === "rejected");
    if (failure) throw asRerankError(failure.reason, "closing the fallback chain");
  };

  return {
    provider: head!.provider,
    model: head!.model,
    ...(head!.scoresDependOnCandidates ? { scoresDependOnCandidates: true } : {}),
    async rerank(query: string, documents: string[], options?: RerankOptions): Promise<RerankResult[]> {
      validateQuery(query);
      validateDocuments(documents);
      validateOptions(options);
      const failures: string[] = [];
      for (let i = 0; i < members.length; i++) {
        // Checked before each member: a close() during this call must not set up or try another one.
        if (closed) throw closedError();
        let provider: RerankProvider;
        try {
          provider = await get(i);
        } catch (error) {
          if (closed) throw closedError();
          const e = asRerankError(error, members[i]!.label);
          failures.push(`${members[i]!.label}: ${e.message}`);
          if (!setupFailed.has(i)) report(i, e);
          setupFailed.add(i);
          continue;
        }
        let results: RerankResult[];
        try {
          results = await provider.rerank(query, documents, options);
        } catch (error) {
          if (isFinal(error)) throw error;
          if (closed) throw closedError();
          const e = asRerankError(error, members[i]!.label);
          failures.push(`${members[i]!.label}: ${e.message}`);
          report(i, e);
          continue;
        }
        // A member that does not say who served (a third-party provider) is named here, so answers stay apart.
        if (results.every((r) => r.servedBy)) return results;
        const servedBy = `${provider.provider}:${provider.model}`;
        return results.map((r) => (r.servedBy ? r : { ...r, servedBy }));
      }
      throw new RerankError("PROVIDER_ERROR", `every reranker in the fallback chain failed: ${failures.join(" | ")}`);
    },
    close() {
      closed = true;
      closing ??= closeAll();
      return closing;
    },
  };
}
