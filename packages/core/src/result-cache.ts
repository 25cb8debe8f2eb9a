import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import { rankScores } from "./rank.js";
import { reportCache } from "./telemetry.js";
import type { DocumentScore, RerankOptions, RerankProvider, RerankResult } from "./types.js";
import { validateDocuments, validateOptions, validateQuery } from "./validate.js";

export interface CacheOptions {
  /** Most (query, document) scores kept. */
  max: number;
  /** How long a score stays valid; omit to keep until evicted. */
  ttlMs?: number;
}

const hash = (text: string) => createHash("sha256").update(text).digest("base64url");

/**
 * Remembers each (provider, model, query, document) score, so a repeated query, or a new query's overlap with an
 * earlier candidate set, is answered without calling the backend. Only the documents it has not seen are sent.
 */
export function withResultCache(inner: RerankProvider, options: CacheOptions): RerankProvider {
  const cache = new LRUCache<string, DocumentScore & { servedBy?: string }>({ max: options.max, ...(options.ttlMs ? { ttl: options.ttlMs } : {}) });
  const keyPrefix = `${inner.provider}\u0000${inner.model}\u0000`;
  return {
    provider: inner.provider,
    model: inner.model,
    async rerank(query: string, documents: string[], rerankOptions?: RerankOptions): Promise<RerankResult[]> {
      validateQuery(query);
      validateDocuments(documents);
      validateOptions(rerankOptions);
      const queryKey = `${keyPrefix}${hash(query)}\u0000`;
      const keys = documents.map((d) => queryKey + hash(d));
      const scores: ((DocumentScore & { servedBy?: string }) | undefined)[] = keys.map((k) => cache.get(k));
      const missing = [...new Set(documents.filter((_, i) => !scores[i]))];
      const misses = scores.filter((x) => !x).length;
      reportCache(documents.length - misses, misses);
      if (missing.length) {
        const fresh = await inner.rerank(query, missing, { signal: rerankOptions?.signal });
        const byText = new Map(fresh.map((r) => [missing[r.index]!, r]));
        documents.forEach((d, i) => {
          if (scores[i]) return;
          const r = byText.get(d)!;
          scores[i] = { score: r.score, rawScore: r.rawScore, servedBy: r.servedBy };
          cache.set(keys[i]!, scores[i]!);
        });
      }
      const ranked = rankScores(scores as DocumentScore[], rerankOptions?.topN);
      return ranked.map((r) => ({ ...r, servedBy: scores[r.index]!.servedBy }));
    },
    close: inner.close ? () => inner.close!() : undefined,
  };
}
