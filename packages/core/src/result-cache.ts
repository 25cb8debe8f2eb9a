import { createHash, hash, type Hash } from "node:crypto";
import { LRUCache } from "lru-cache";
import { RerankError } from "./errors.js";
import { rankScores } from "./rank.js";
import { reportCache } from "./telemetry.js";
import { TimeSlices } from "./time-slices.js";
import type { DocumentScore, RerankOptions, Reranker, RerankProvider, RerankResult } from "./types.js";
import { validateDocuments, validateOptions, validateQuery } from "./validate.js";

export interface CacheOptions {
  /** Most scores kept; an entry for a whole call counts one per document, and one larger than this is not kept. */
  max: number;
  /** How long a score stays valid; omit to keep until evicted. */
  ttlMs?: number;
}

/** Scores in input order: one for a per-document entry, one per document for a whole-call entry. */
interface Entry {
  scores: DocumentScore[];
  servedBy: string | undefined;
}

// Text is hashed in pieces of this many UTF-16 code units, with a chance to yield between pieces.
const PIECE = 1 << 18;
const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

const isWellFormed = (text: string) => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * Adds a string to a digest losslessly and unambiguously: UTF-8 for well-formed text, UTF-16 code units for text
 * with a lone surrogate (UTF-8 would turn it into U+FFFD, so two texts would share a key), each behind a tag and
 * its length.
 */
async function addText(digest: Hash, text: string, slices: TimeSlices): Promise<void> {
  const wellFormed = isWellFormed(text);
  digest.update(`${wellFormed ? "u" : "w"}${text.length}:`);
  for (let at = 0; at < text.length; ) {
    let end = Math.min(text.length, at + PIECE);
    if (wellFormed && end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end--;
    digest.update(text.slice(at, end), wellFormed ? "utf8" : "utf16le");
    at = end;
    if (slices.due()) await slices.pause();
  }
}

async function digestAll(texts: readonly string[], slices: TimeSlices): Promise<string> {
  const digest = createHash("sha256");
  for (const text of texts) await addText(digest, text, slices);
  return digest.digest("base64url");
}

/** One document's digest; a short one in one step (no Hash object per document: thousands of them keep GC busy). */
async function documentDigest(text: string, slices: TimeSlices): Promise<string> {
  if (text.length > PIECE) return `l${await digestAll([text], slices)}`;
  if (isWellFormed(text)) return `u${hash("sha256", text, "base64url")}`;
  return `w${hash("sha256", Buffer.from(text, "utf16le"), "base64url")}`;
}

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
  const throwIfClosed = () => {
    if (!closed) return;
    throw new RerankError("CLOSED", `${identity} reranker was closed; create a new one`, { provider: inner.provider });
  };
  const ranked = (scores: DocumentScore[], servedBy: string | undefined, topN: number | undefined): RerankResult[] =>
    rankScores(scores, topN).map((r) => (servedBy === undefined ? r : { ...r, servedBy }));

  async function rerankWholeCall(query: string, documents: string[], rerankOptions?: RerankOptions) {
    const slices = new TimeSlices(rerankOptions?.signal, inner.provider);
    const key = await digestAll([inner.provider, inner.model, query, ...documents], slices);
    throwIfClosed();
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
    const slices = new TimeSlices(rerankOptions?.signal, inner.provider);
    const queryKey = await digestAll([inner.provider, inner.model, query], slices);
    const keys: string[] = [];
    for (const d of documents) {
      keys.push(`${queryKey}.${await documentDigest(d, slices)}`);
      if (slices.due()) await slices.pause();
    }
    throwIfClosed();
    const entries = keys.map((k) => cache.get(k));
    // Unseen documents, each text once; deduplicated by key, since comparing long texts is slow.
    const slotOf = new Map<string, number>();
    const missing: string[] = [];
    entries.forEach((entry, i) => {
      if (entry || slotOf.has(keys[i]!)) return;
      slotOf.set(keys[i]!, missing.length);
      missing.push(documents[i]!);
    });
    if (slices.due()) await slices.pause();
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
    const freshScores: DocumentScore[] = new Array(missing.length);
    for (const r of fresh) freshScores[r.index] = { score: r.score, rawScore: r.rawScore };
    if (slices.due()) await slices.pause();
    for (const [key, slot] of slotOf) {
      if (closed) break;
      cache.set(key, { scores: [freshScores[slot]!], servedBy });
      if (slices.due()) await slices.pause();
    }
    const scores = documents.map((_, i) => entries[i]?.scores[0] ?? freshScores[slotOf.get(keys[i]!)!]!);
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
      throwIfClosed();
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
