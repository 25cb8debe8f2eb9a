import type { EncodedPair } from "./pair-encoder.js";

export interface BatchLimits {
  /** Most padded tokens (rows × longest row) per batch. */
  batchTokens: number;
  maxBatchSize: number;
}

/**
 * Groups pairs of similar length so little compute goes to padding: sort by length, then fill each batch
 * until one more row would break the token budget or the row limit. Returns indices into `pairs`.
 */
export function planBatches(pairs: readonly EncodedPair[], limits: BatchLimits): number[][] {
  const order = pairs.map((_, i) => i).sort((a, b) => pairs[a]!.ids.length - pairs[b]!.ids.length || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  for (const i of order) {
    const longest = pairs[i]!.ids.length;
    if (current.length > 0 && (current.length >= limits.maxBatchSize || (current.length + 1) * longest > limits.batchTokens)) {
      batches.push(current);
      current = [];
    }
    current.push(i);
  }
  if (current.length) batches.push(current);
  return batches;
}

/** Padded int64 tensors' data for one batch, row-major [rows, longest]. */
export function padBatch(pairs: readonly EncodedPair[], rows: readonly number[], padId: number) {
  const width = Math.max(...rows.map((r) => pairs[r]!.ids.length));
  const size = rows.length * width;
  const inputIds = new BigInt64Array(size).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(size);
  const tokenTypeIds = new BigInt64Array(size);
  rows.forEach((r, row) => {
    const { ids, typeIds } = pairs[r]!;
    const base = row * width;
    for (let t = 0; t < ids.length; t++) {
      inputIds[base + t] = BigInt(ids[t]!);
      attentionMask[base + t] = 1n;
      tokenTypeIds[base + t] = BigInt(typeIds[t]!);
    }
  });
  return { width, inputIds, attentionMask, tokenTypeIds };
}

/** Identical pairs (duplicate documents) are scored once: `slot[i]` is pair i's index in `unique`. */
export function dedupePairs(pairs: readonly EncodedPair[]): { unique: EncodedPair[]; slot: number[] } {
  const unique: EncodedPair[] = [];
  const uniqueOf = new Map<string, number>();
  const slot = pairs.map((p) => {
    const key = `${p.ids.join(",")}|${p.typeIds.join("")}`;
    let u = uniqueOf.get(key);
    if (u === undefined) {
      u = unique.push(p) - 1;
      uniqueOf.set(key, u);
    }
    return u;
  });
  return { unique, slot };
}
