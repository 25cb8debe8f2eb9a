import type { EncodedPair } from "./pair-encoder.js";

export interface BatchLimits {
  /** Most padded tokens (rows × longest row) per batch. */
  batchTokens: number;
  maxBatchSize: number;
}

/**
 * Pairs per planning window. A call's batches go to the workers while the rest of its documents tokenize, so
 * pairs are sorted by length within windows rather than all at once: the first window is small so that inference
 * starts after a few documents, and each next one is WINDOW_GROWTH times larger, up to a size past which sorting
 * saves nothing more. On DL19 (100 passages a query) the windows 8, 32, 60 pad 4.3% of the tokens (doubling, 8,
 * 16, 32, 44: 5.6%), against 1.9% for one sort of all 100. Windows depend only on the pairs' order, never on
 * timing, so a call's batches (and its q8 scores, which depend on a batch's other rows) are the same however fast
 * it tokenizes.
 */
export const FIRST_WINDOW = 8;
export const WINDOW_GROWTH = 4;
export const LARGEST_WINDOW = 128;

/**
 * Groups `pairs[from..to)` by similar length so little compute goes to padding: order by length (ties by index),
 * then fill each batch until one more row would break the token budget or the row limit. Returns indices into
 * `pairs`. Lengths are bounded by the window, so the order is a counting sort: linear however many pairs.
 */
export function sortedBatches(pairs: readonly EncodedPair[], limits: BatchLimits, from = 0, to = pairs.length): number[][] {
  const byLength: number[][] = [];
  for (let i = from; i < to; i++) (byLength[pairs[i]!.ids.length] ??= []).push(i);
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

/**
 * Plans the batches of a growing list of pairs window by window (see FIRST_WINDOW): `take()` returns the batches
 * of every window the pairs so far fill, `take(true)` those of the rest too.
 */
export class WindowedPlanner {
  private start = 0;
  private window = FIRST_WINDOW;

  constructor(
    private readonly pairs: readonly EncodedPair[],
    private readonly limits: BatchLimits,
  ) {}

  take(final = false): number[][] {
    const batches: number[][] = [];
    while (this.pairs.length - this.start >= this.window || (final && this.pairs.length > this.start)) {
      const end = Math.min(this.pairs.length, this.start + this.window);
      for (const rows of sortedBatches(this.pairs, this.limits, this.start, end)) batches.push(rows);
      this.start = end;
      this.window = Math.min(LARGEST_WINDOW, this.window * WINDOW_GROWTH);
    }
    return batches;
  }
}

/** Every batch of a call's pairs, as the local provider runs them (indices into `pairs`). */
export function planBatches(pairs: readonly EncodedPair[], limits: BatchLimits): number[][] {
  return new WindowedPlanner(pairs, limits).take(true);
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

/**
 * Identical pairs (duplicate documents) are scored once: `slot[i]` is pair i's index in `unique`. Pairs are found
 * by a hash of their ids and type ids, then compared in full: building a string key per pair cost more than the
 * rest of a call's bookkeeping.
 */
export class PairDeduper {
  readonly unique: EncodedPair[] = [];
  readonly slot: number[] = [];
  private readonly byHash = new Map<number, number[]>();

  add(p: EncodedPair): void {
    const hash = hashPair(p);
    const candidates = this.byHash.get(hash);
    let u = candidates?.find((c) => samePair(this.unique[c]!, p));
    if (u === undefined) {
      u = this.unique.push(p) - 1;
      if (candidates) candidates.push(u);
      else this.byHash.set(hash, [u]);
    }
    this.slot.push(u);
  }
}

/** FNV-1a over the ids and type ids. */
function hashPair(p: EncodedPair): number {
  let h = 0x811c9dc5;
  for (const id of p.ids) h = Math.imul(h ^ id, 0x01000193);
  for (const t of p.typeIds) h = Math.imul(h ^ (t + 0x9e37), 0x01000193);
  return h >>> 0;
}

function samePair(a: EncodedPair, b: EncodedPair): boolean {
  if (a.ids.length !== b.ids.length) return false;
  for (let i = 0; i < a.ids.length; i++) if (a.ids[i] !== b.ids[i] || a.typeIds[i] !== b.typeIds[i]) return false;
  return true;
}

/** `PairDeduper` over a whole list at once. */
export function dedupePairs(pairs: readonly EncodedPair[]): { unique: EncodedPair[]; slot: number[] } {
  const deduper = new PairDeduper();
  for (const p of pairs) deduper.add(p);
  return { unique: deduper.unique, slot: deduper.slot };
}
