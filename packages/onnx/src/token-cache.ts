import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { SlicedEncoder } from "./sliced-encoding.js";
import type { TimeSlicer } from "./time-slicer.js";

/**
 * Texts longer than this are not cached: hashing a text for its key reads all of it, while truncation reads only
 * a window's worth, and RAG passages that repeat across queries are far shorter.
 */
export const CACHE_MAX_CHARS = 65_536;
/**
 * What an entry costs beyond its ids: the key, the entry and typed-array objects and the cache's own bookkeeping
 * (measured on Node 20: about 400 bytes of heap per entry besides the ids' 4 bytes each).
 */
const ENTRY_OVERHEAD_BYTES = 400;

interface Entry {
  ids: Int32Array;
  /** The whole text was tokenized; otherwise `ids` are its first tokens only, one past a limit. */
  complete: boolean;
}

/**
 * A text's token ids, read from a least-recently-used cache of tokenized texts bounded in bytes, else tokenized
 * (in time slices, only as far as `limit + 1` tokens) and kept. One cache per reranker, so per tokenizer; keyed by
 * the text's SHA-256, so the cache holds neither the caller's strings nor anything they retain. An entry cut at
 * one limit serves any smaller limit; a larger one tokenizes the text again and replaces it.
 */
export class CachedEncoder {
  private readonly cache: LRUCache<string, Entry> | undefined;

  constructor(
    private readonly encoder: SlicedEncoder,
    maxBytes: number | false,
  ) {
    this.cache = maxBytes === false ? undefined : new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (e) => e.ids.byteLength + ENTRY_OVERHEAD_BYTES });
  }

  /** The same ids as `SlicedEncoder.encode(text, limit, slicer)`. */
  async encode(text: string, limit: number, slicer: TimeSlicer): Promise<number[]> {
    if (!this.cache || text.length > CACHE_MAX_CHARS) return this.encoder.encode(text, limit, slicer);
    const key = createHash("sha256").update(text).digest("base64");
    const hit = this.cache.get(key);
    if (hit && (hit.complete || hit.ids.length > limit)) {
      return Array.from(hit.ids.length > limit + 1 ? hit.ids.subarray(0, limit + 1) : hit.ids);
    }
    const ids = await this.encoder.encode(text, limit, slicer);
    this.cache.set(key, { ids: Int32Array.from(ids), complete: ids.length <= limit });
    return ids;
  }

  /** Drops every entry (a closed reranker keeps no token ids of its documents). */
  clear(): void {
    this.cache?.clear();
  }

  /** Bytes and entries held; for tests and diagnostics. */
  get stats(): { bytes: number; entries: number } {
    return { bytes: this.cache?.calculatedSize ?? 0, entries: this.cache?.size ?? 0 };
  }
}
