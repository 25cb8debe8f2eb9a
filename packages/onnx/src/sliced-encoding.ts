import type { TimeSlicer } from "./time-slicer.js";

/** Each tokenizer call is sized to take about this long, so a time slice holds several and never overruns much. */
const SLICE_MS = 2;
const MIN_SLICE_CHARS = 256;
const MAX_SLICE_CHARS = 65_536;
/** A first guess for a slow tokenizer; corrected from the first slice on. */
const FIRST_CHARS_PER_MS = 500;

/** Only a space ends a word for every pre-tokenizer in use: Metaspace (XLM-R) reads a newline as part of a word. */
const SPACE = 0x20;
const SPACE_LIKE = /\s/;
/** A mark or joiner belongs to the character before it: a forced cut never separates them. */
const JOINS_PREVIOUS = /[\p{M}\u200d]/u;
const FORCED_CUT_BACKOFF = 16;

/**
 * Where to end a slice of `text` that starts at `from` and should end near `to`. Preferably just before a run of
 * spaces that follows a visible character: a space ends a word for every pre-tokenizer in use (BERT, Metaspace,
 * ByteLevel), and keeping the whole run with the next slice keeps space-collapsing normalizers and Metaspace's
 * prefix exactly as they are on the whole text, so the slices' tokens are the whole text's tokens.
 * A stretch of `to - from` characters without such a place is cut between code points and marks instead (there,
 * the tokens at the cut may differ from the whole text's: such a run is one unknown token for WordPiece anyway).
 */
export function cutPoint(text: string, from: number, to: number): number {
  if (to >= text.length) return text.length;
  for (let p = to; p > from; p--) {
    if (text.charCodeAt(p) === SPACE && !SPACE_LIKE.test(text[p - 1]!)) return p;
  }
  let p = to;
  for (let back = 0; back < FORCED_CUT_BACKOFF && p > from + 1; back++) {
    const code = text.charCodeAt(p);
    const splitsPair = code >= 0xdc00 && code <= 0xdfff && isHighSurrogate(text.charCodeAt(p - 1));
    if (!splitsPair && !JOINS_PREVIOUS.test(String.fromCodePoint(text.codePointAt(p)!))) return p;
    p--;
  }
  return isHighSurrogate(text.charCodeAt(to - 1)) && to - 1 > from ? to - 1 : to;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Tokenizes text in slices cut by `cutPoint`, giving the event loop a turn between slices, and stops as soon as
 * it has more tokens than the caller can use: a window of 512 tokens never costs the tokenization of a whole
 * megabyte, and a megabyte in chunk mode never holds the thread for more than a slice.
 */
export class SlicedEncoder {
  private charsPerMs = FIRST_CHARS_PER_MS;

  /** `sliceChars` fixes the slice length (tests); by default it follows the tokenizer's measured speed. */
  constructor(
    private readonly tokenize: (text: string) => number[],
    private readonly sliceChars?: number,
  ) {}

  /** The first `limit + 1` token ids of `text` (all of them when it has no more): one more tells the text was cut. */
  async encode(text: string, limit: number, slicer: TimeSlicer): Promise<number[]> {
    const ids: number[] = [];
    for (let start = 0; start < text.length && ids.length <= limit; ) {
      const end = cutPoint(text, start, start + this.nextSlice());
      const began = performance.now();
      const piece = this.tokenize(text.slice(start, end));
      this.learn(end - start, performance.now() - began);
      // One push per id: spreading a long array into push() overflows the stack.
      for (const id of piece) ids.push(id);
      start = end;
      if (start < text.length) await slicer.step();
    }
    return ids.length > limit + 1 ? ids.slice(0, limit + 1) : ids;
  }

  private nextSlice(): number {
    const measured = Math.round(this.charsPerMs * SLICE_MS);
    return this.sliceChars ?? Math.min(MAX_SLICE_CHARS, Math.max(MIN_SLICE_CHARS, measured));
  }

  private learn(chars: number, ms: number): void {
    if (chars < MIN_SLICE_CHARS || ms <= 0) return;
    this.charsPerMs = (this.charsPerMs + chars / ms) / 2;
  }
}
