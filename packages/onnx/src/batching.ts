import type { EncodedPair } from "./pair-encoder.js";

export interface BatchLimits {
  /** Most padded tokens (rows × longest row) per batch. */
  batchTokens: number;
  maxBatchSize: number;
}

/**
 * Groups pairs of similar length so little compute goes to padding: order by length (ties by index), then fill each
 * batch until one more row would break the token budget or the row limit. Returns indices into `pairs`. Lengths
 * are bounded by the window, so the order is a counting sort: linear however many pairs a call brings.
 */
export function planBatches(pairs: readonly EncodedPair[], limits: BatchLimits): number[][] {
  const byLength: number[][] = [];
  pairs.forEach((p, i) => (byLength[p.ids.length] ??= []).push(i));
  const batches: number[][] = [];
  let current: number[] = [];
  for (let longest = 0; longest < byLength.length; longest++) {
    for (const i of byLength[longest] ?? []) {
      const full = current.length >= limits.maxBatchSize || (current.length + 1) * longest > limits.batchTokens;
      if (current.length > 0 && full) {
        batches.push(current);
        current = [];
      }
      current.push(i);
    }
  }
  if (current.length) batches.push(current);
  return batches;
}

/** Padded int64 tensors' data for one batch, row-major [rows, longest]. */
export function padBatch(pairs: readonly EncodedPair[], rows: readonly number[], padId: number) {
  const width = rows.reduce((w, r) => Math.max(w, pairs[r]!.ids.length), 0);
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
export class PairDeduper {
  readonly unique: EncodedPair[] = [];
  readonly slot: number[] = [];
  private readonly uniqueOf = new Map<string, number>();

  add(p: EncodedPair): void {
    const key = `${p.ids.join(",")}|${p.typeIds.join("")}`;
    let u = this.uniqueOf.get(key);
    if (u === undefined) {
      u = this.unique.push(p) - 1;
      this.uniqueOf.set(key, u);
    }
    this.slot.push(u);
  }
}

/** `PairDeduper` over a whole list at once. */
export function dedupePairs(pairs: readonly EncodedPair[]): { unique: EncodedPair[]; slot: number[] } {
  const deduper = new PairDeduper();
  for (const p of pairs) deduper.add(p);
  return { unique: deduper.unique, slot: deduper.slot };
}
