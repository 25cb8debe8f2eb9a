import { RerankError, isRerankError } from "./errors.js";
import { reportFallback } from "./telemetry.js";
import type { RerankOptions, RerankProvider, RerankResult } from "./types.js";
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
  return isRerankError(error) && (error.code === "INVALID_INPUT" || error.code === "ABORTED" || error.code === "CLOSED");
}

function asRerankError(error: unknown, label: string): RerankError {
  if (isRerankError(error)) return error;
  return new RerankError("PROVIDER_ERROR", `${label}: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * Tries each member in order until one answers. Members are created on first need, so a backend that cannot
 * even be set up (a model that cannot be loaded offline, a missing key) hands over to the next one. Results
 * carry `servedBy`.
 */
export async function createFallbackChain(members: FallbackMember[], onFallback?: (event: FallbackEvent) => void): Promise<RerankProvider> {
  // A member that cannot be set up stays skipped for the chain's life: its error is reported once.
  const created = new Map<number, Promise<RerankProvider>>();
  const setupFailed = new Set<number>();
  const get = (i: number) => {
    let p = created.get(i);
    if (!p) {
      p = members[i]!.create();
      created.set(i, p);
      p.catch(() => undefined);
    }
    return p;
  };
  const report = (i: number, error: RerankError) => {
    reportFallback(members[i]!.label, members[i + 1]?.label, error.code);
    onFallback?.({ failed: members[i]!.label, error, next: members[i + 1]?.label });
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

  return {
    provider: head!.provider,
    model: head!.model,
    async rerank(query: string, documents: string[], options?: RerankOptions): Promise<RerankResult[]> {
      validateQuery(query);
      validateDocuments(documents);
      validateOptions(options);
      const failures: string[] = [];
      for (let i = 0; i < members.length; i++) {
        let provider: RerankProvider;
        try {
          provider = await get(i);
        } catch (error) {
          const e = asRerankError(error, members[i]!.label);
          failures.push(`${members[i]!.label}: ${e.message}`);
          if (!setupFailed.has(i)) report(i, e);
          setupFailed.add(i);
          continue;
        }
        try {
          return await provider.rerank(query, documents, options);
        } catch (error) {
          if (isFinal(error)) throw error;
          const e = asRerankError(error, members[i]!.label);
          failures.push(`${members[i]!.label}: ${e.message}`);
          report(i, e);
        }
      }
      throw new RerankError("PROVIDER_ERROR", `every reranker in the fallback chain failed: ${failures.join(" | ")}`);
    },
    async close() {
      const all = await Promise.allSettled([...created.values()]);
      await Promise.all(all.map((r) => (r.status === "fulfilled" ? r.value.close?.() : undefined)));
    },
  };
}
