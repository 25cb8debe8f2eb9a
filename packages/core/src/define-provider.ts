import { RerankError, isRerankError } from "./errors.js";
import { rankScores } from "./rank.js";
import type { RerankOptions, Reranker, RerankResult, ScoringBackend } from "./types.js";
import { throwIfAborted, validateDocuments, validateOptions, validateQuery, validateScores } from "./validate.js";

/**
 * Turns a backend that only scores into a full `RerankProvider`: every provider gets the same validation,
 * empty-input handling, result checks, ordering and topN from here.
 */
export function defineProvider(backend: ScoringBackend): Reranker {
  let closed = false;
  return {
    provider: backend.provider,
    model: backend.model,
    ...(backend.scoresDependOnCandidates ? { scoresDependOnCandidates: true } : {}),
    async rerank(query: string, documents: string[], options?: RerankOptions): Promise<RerankResult[]> {
      validateQuery(query);
      validateDocuments(documents);
      validateOptions(options);
      if (closed) throw new RerankError("CLOSED", `${backend.provider} reranker was closed; create a new one`, { provider: backend.provider });
      throwIfAborted(options?.signal, backend.provider);
      if (documents.length === 0) return [];
      // The backend sees a frozen copy: no backend can mutate the caller's array, and later caller edits
      // cannot change a rerank in flight.
      const snapshot = Object.freeze(documents.slice());
      let scores;
      try {
        scores = await backend.score(query, snapshot, { signal: options?.signal });
      } catch (error) {
        if (isRerankError(error)) throw error;
        if (options?.signal?.aborted) throwIfAborted(options.signal, backend.provider);
        const message = error instanceof Error ? error.message : String(error);
        throw new RerankError("PROVIDER_ERROR", `${backend.provider} (${backend.model}) failed: ${message}`, {
          provider: backend.provider,
          cause: error,
        });
      }
      validateScores(backend.provider, scores, snapshot.length);
      const servedBy = `${backend.provider}:${backend.model}`;
      return rankScores(scores, options?.topN).map((r) => ({ ...r, servedBy }));
    },
    async close() {
      if (closed) return;
      closed = true;
      await backend.close?.();
    },
  };
}
