import { createHash, type Hash } from "node:crypto";
import { LRUCache } from "lru-cache";
import { RerankError } from "./errors.js";
import { rankScores } from "./rank.js";
import { reportCache } from "./telemetry.js";
import type { DocumentScore, RerankOptions, Reranker, RerankProvider, RerankResult } from "./types.js";
import { validateDocuments, validateOptions, validateQuery } from "./validate.js";

export interface CacheOptions {
  /** Most (query, document) scores kept. */
  max: number;
  /** How long a score stays valid; omit to keep until evicted. */
  ttlMs?: number;
}

/** Scores in input order: one for a per-document entry, one per document for a whole-call entry. */
interface Entry {
  scores: DocumentScore[];
  servedBy: string | undefined;
}

// UTF-16 code units with a length prefix: lossless for any JS string (lone surrogates included) and unambiguous
// when several strings go into one digest.
const add = (hash: Hash, text: string) => hash.update(`${text.length}:`).update(text, "utf16le");
const digest = (...texts: string[]) => texts.reduce(add, createHash("sha256")).digest("base64url");

/**
 * Remembers scores per (provider, model, query, document), so a repeated query, or a new query's overlap with an
 * earlier candidate set, is answered without calling the backend; only the documents it has not seen are sent.
 * A backend whose scores depend on the whole candidate set (`scoresDependOnCandidates`) is cached per whole call
 * instead. Only answers from `inner` itself are kept (`servedBy` unset or "provider:model"): a fallback's scores
 * are on another scale and must never sit next to the primary's. Keys are digests, so they hold no text.
 */
export function withResultCache(inner: RerankProvider, options: CacheOptions): Reranker {
  const cache = new LRUCache<string, Entry>({
    maxSize: options.max,
    sizeCalculation: (entry) => entry.scores.length,
    ...(options.ttlMs ? { ttl: options.ttlMs } : {}),
  });
  const identity = `${inner.provider}:${inner.model}`;
  const isOwn = (results: readonly RerankResult[]) =>
    results.every((r) => r.servedBy === undefined || r.servedBy === identity);
  const wholeCall = inner.scoresDependOnCandidates === true;
  let closed = false;
  let closing: Promise<void> | undefined;

  // A cached entry with a hole would break every later call with its key.
  const checkCount = (fresh: readonly RerankResult[], expected: number) => {
    if (fresh.length === expected) return;
    const message = `${identity} returned ${fresh.length} results for ${expected} documents`;
    throw new RerankError("INVALID_RESPONSE", message, { provider: inner.provider });
  };
  const ranked = (scores: DocumentScore[], servedBy: string | undefined, topN: number | undefined): RerankResult[] =>
    rankScores(scores, topN).map((r) => (servedBy === undefined ? r : { ...r, servedBy }));

  async function rerankWholeCall(query: string, documents: string[], rerankOptions?: RerankOptions) {
    const key = digest(inner.provider, inner.model, query, ...documents);
    const hit = cache.get(key);
    reportCache(hit ? documents.length : 0, hit ? 0 : documents.length);
    if (hit) return ranked(hit.scores, hit.servedBy, rerankOptions?.topN);
    const fresh = await inner.rerank(query, documents, { signal: rerankOptions?.signal });
    checkCount(fresh, documents.length);
    if (!closed && isOwn(fresh)) {
      const scores: DocumentScore[] = new Array(documents.length);
      for (const r of fresh) scores[r.index] = { score: r.score, rawScore: r.rawScore };
      cache.set(key, { scores, servedBy: fresh[0]?.servedBy });
    }
    return rerankOptions?.topN === undefined ? fresh : fresh.slice(0, rerankOptions.topN);
  }

  async function rerankPerDocument(query: string, documents: string[], rerankOptions?: RerankOptions) {
    const queryKey = digest(inner.provider, inner.model, query);
    const keys = documents.map((d) => `${queryKey}.${digest(d)}`);
    const entries = keys.map((k) => cache.get(k));
    const missing = [...new Set(documents.filter((_, i) => !entries[i]))];
    const misses = entries.filter((e) => !e).length;
    reportCache(documents.length - misses, misses);
    if (missing.length === 0) {
      return ranked(entries.map((e) => e!.scores[0]!), entries[0]!.servedBy, rerankOptions?.topN);
    }
    const fresh = await inner.rerank(query, missing, { signal: rerankOptions?.signal });
    checkCount(fresh, missing.length);
    const askedForAll = misses === documents.length && missing.length === documents.length;
    if (!isOwn(fresh)) {
      // Another backend answered for just the unseen documents; its scores cannot be ranked against cached ones,
      // so the whole list goes to it.
      if (askedForAll) return rerankOptions?.topN === undefined ? fresh : fresh.slice(0, rerankOptions.topN);
      return inner.rerank(query, documents, rerankOptions);
    }
    const servedBy = fresh[0]?.servedBy;
    const byText = new Map(fresh.map((r) => [missing[r.index]!, { score: r.score, rawScore: r.rawScore }]));
    const scores = documents.map((d, i) => {
      const cached = entries[i]?.scores[0];
      if (cached) return cached;
      const score = byText.get(d)!;
      if (!closed) cache.set(keys[i]!, { scores: [score], servedBy });
      return score;
    });
    return ranked(scores, servedBy, rerankOptions?.topN);
  }

  return {
    provider: inner.provider,
    model: inner.model,
    ...(wholeCall ? { scoresDependOnCandidates: true } : {}),
    async rerank(query: string, documents: string[], rerankOptions?: RerankOptions): Promise<RerankResult[]> {
      validateQuery(query);
      validateDocuments(documents);
      validateOptions(rerankOptions);
      if (closed) {
        const message = `${identity} reranker was closed; create a new one`;
        throw new RerankError("CLOSED", message, { provider: inner.provider });
      }
      if (documents.length === 0) return [];
      const rerankCall = wholeCall ? rerankWholeCall : rerankPerDocument;
      return rerankCall(query, documents, rerankOptions);
    },
    close() {
      closed = true;
      cache.clear();
      closing ??= (async () => {
        await inner.close?.();
      })();
      return closing;
    },
  };
}
