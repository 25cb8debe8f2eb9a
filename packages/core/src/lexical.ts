import {
  lexicalConfigSchema,
  parseProviderConfig,
  passthroughConfigSchema,
  type LexicalRerankerConfig,
  type PassthroughRerankerConfig,
} from "./config.js";
import { defineProvider } from "./define-provider.js";
import { TimeSlices } from "./time-slices.js";
import type { DocumentScore, Reranker } from "./types.js";

// Function words carry no topic; dropping them keeps BM25 from rewarding "the" and "of".
const STOPWORDS = new Set(
  (
    "a an and are as at be by for from has have how in is it its of on or that the this to was were what when where " +
    "which who why will with do does did can you your i we they he she"
  ).split(" "),
);

const TOKEN = /[\p{L}\p{N}]+/gu;
const ENDS_IN_TOKEN = /[\p{L}\p{N}]$/u;
const STARTS_WITH_TOKEN = /^[\p{L}\p{N}]/u;

/** Text is tokenized in pieces of about this many UTF-16 code units: a millisecond or so of work each. */
const PIECE = 1 << 15;
/** Map and scoring work done between two checks of the time slice. */
const BATCH = 1 << 12;

// Lower-casing looks across neighbours only for a capital sigma (final or not), through case-ignorable characters;
// a combining mark may join the character before it in normalization.
const NOT_PLAIN = /[\p{M}\p{Case_Ignorable}\u03A3]/u;

/**
 * Whether the text may be cut between code units i - 1 and i with every piece lower-cased and NFKC-normalized
 * alone giving the same string as the whole would: neither character may be case-ignorable nor a capital sigma,
 * so no sigma's final form depends on the far side of the cut, and the second must start a normalization segment.
 */
function cuttableAt(text: string, i: number): boolean {
  return plain(codePointBefore(text, i)) && plain(text.codePointAt(i)!);
}

function codePointBefore(text: string, i: number): number {
  const low = text.charCodeAt(i - 1);
  if (low < 0xdc00 || low >= 0xe000 || i < 2) return low;
  const high = text.charCodeAt(i - 2);
  return high >= 0xd800 && high < 0xdc00 ? ((high - 0xd800) << 10) + (low - 0xdc00) + 0x10000 : low;
}

/**
 * A character that, lower-cased or not, starts a normalization segment: in the BMP below the surrogates, no
 * combining mark, no conjoining Hangul jamo (nor the compatibility jamo that normalize to them), and not the Thai
 * and Lao AM, whose normal forms start with a mark; beyond it, only symbols and emoji, and the CJK ideographs of
 * planes 2 and 3. Checked against every character's decompositions on Node's ICU.
 */
function plain(code: number): boolean {
  if (code >= 0x10000) {
    const known = (code >= 0x1f000 && code < 0x1fb00) || (code >= 0x20000 && code < 0x40000);
    return known && !NOT_PLAIN.test(String.fromCodePoint(code));
  }
  if (code >= 0xd800 || (code >= 0x300 && code < 0x370) || code === 0xe33 || code === 0xeb3) return false;
  if ((code >= 0x1100 && code < 0x1200) || (code >= 0x3130 && code < 0x3190)) return false;
  if ((code >= 0xa960 && code < 0xa980) || code >= 0xd7b0) return false;
  return !NOT_PLAIN.test(String.fromCharCode(code));
}

/**
 * Where the piece starting at `start` ends: a cut point near `start + size`, or further on if a run of other
 * characters (combining marks, say) leaves none sooner, or the end of the text.
 */
function pieceEnd(text: string, start: number, size: number): number {
  const target = start + size;
  if (target >= text.length) return text.length;
  for (let i = target; i > start + (size >> 1); i--) if (cuttableAt(text, i)) return i;
  for (let i = target + 1; i < text.length; i++) if (cuttableAt(text, i)) return i;
  return text.length;
}

/**
 * The tokens of a text, handed to `emit` in order, pausing after each piece. A token cut by a piece boundary is
 * joined again, so the tokens are exactly those of the whole text lower-cased, normalized and matched at once.
 */
function* tokenSteps(text: string, emit: (token: string) => void, size = PIECE): Generator<void, void> {
  let carry = "";
  for (let start = 0; start < text.length; ) {
    const end = pieceEnd(text, start, size);
    carry = tokenizePiece(text.slice(start, end), carry, end < text.length, emit);
    start = end;
    if (start < text.length) yield;
  }
}

/**
 * Emits a piece's tokens, the first joined to `carry` (the end of the previous piece's last token, if that
 * piece ended inside one); returns the last token instead of emitting it when it may go on in the next piece.
 */
function tokenizePiece(raw: string, carry: string, more: boolean, emit: (token: string) => void): string {
  const piece = raw.toLowerCase().normalize("NFKC");
  const tokens = piece.match(TOKEN) ?? [];
  if (carry !== "") {
    if (tokens.length > 0 && STARTS_WITH_TOKEN.test(piece)) tokens[0] = carry + tokens[0]!;
    else keep(carry, emit);
  }
  let last = tokens.length;
  const next = more && last > 0 && ENDS_IN_TOKEN.test(piece) ? tokens[--last]! : "";
  for (let k = 0; k < last; k++) keep(tokens[k]!, emit);
  return next;
}

function keep(token: string, emit: (token: string) => void): void {
  if (!STOPWORDS.has(token)) emit(token);
}

/** Lower-cased, NFKC-normalized runs of letters and digits, stopwords dropped. */
export function tokenize(text: string): string[] {
  return tokenizeInPieces(text, PIECE);
}

/** `tokenize` with a chosen piece size: the result must not depend on it. */
export function tokenizeInPieces(text: string, pieceSize: number): string[] {
  const tokens: string[] = [];
  const steps = tokenSteps(text, (t) => tokens.push(t), pieceSize);
  while (!steps.next().done);
  return tokens;
}

// A Map that grows past a million entries rehashes them all in one step of a tenth of a second or more; counts
// are kept in a chain of Maps of at most this many entries instead.
const MAP_ENTRIES = 1 << 18;

/** Counts per term, in order of first appearance, with no single step that grows with the number of terms. */
class TermCounts {
  private readonly maps = [new Map<string, number>()];

  get(term: string): number | undefined {
    for (const m of this.maps) {
      const count = m.get(term);
      if (count !== undefined) return count;
    }
    return undefined;
  }

  /** Adds one to the term's count; returns whether the term is new. */
  add(term: string): boolean {
    for (const m of this.maps) {
      const count = m.get(term);
      if (count !== undefined) {
        m.set(term, count + 1);
        return false;
      }
    }
    let last = this.maps[this.maps.length - 1]!;
    if (last.size >= MAP_ENTRIES) this.maps.push((last = new Map()));
    last.set(term, 1);
    return true;
  }

  *terms(): Generator<string> {
    for (const m of this.maps) yield* m.keys();
  }
}

/**
 * BM25 of each candidate against the query, with document frequencies and lengths taken from the candidate set
 * itself (there is no corpus index here). `rawScore` is the BM25 score; `score` squashes it into [0, 1] as
 * raw / (raw + 1) — monotone, and comparable only within one call, since the statistics come from that call's
 * candidates. A lexical baseline with no model: the zero-download fallback, not a cross-encoder.
 */
export function bm25Scores(query: string, documents: readonly string[], k1: number, b: number): DocumentScore[] {
  const steps = bm25Steps(query, documents, k1, b);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** The same scores, with the event loop given a turn whenever a time slice is used up. */
async function bm25ScoresSliced(
  query: string,
  documents: readonly string[],
  k1: number,
  b: number,
  slices: TimeSlices,
): Promise<DocumentScore[]> {
  const steps = bm25Steps(query, documents, k1, b);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (slices.due()) await slices.pause();
  }
}

/**
 * BM25 as a generator that pauses after every piece of text and every batch of counting or scoring: one code
 * path, sync or sliced, with no step long whatever the size of the query, a document or the candidate set.
 */
function* bm25Steps(
  query: string,
  documents: readonly string[],
  k1: number,
  b: number,
  pieceSize = PIECE,
): Generator<void, DocumentScore[]> {
  // Distinct query terms in order of first appearance.
  const terms: string[] = [];
  const seen = new TermCounts();
  yield* tokenSteps(query, (t) => seen.add(t) && terms.push(t), pieceSize);
  yield;

  const counts: TermCounts[] = [];
  const lengths: number[] = [];
  // Units of work (characters tokenized / BATCH, map updates, terms looked up) since the last pause.
  let work = 0;
  for (const d of documents) {
    const tf = new TermCounts();
    let length = 0;
    const count = (t: string) => {
      tf.add(t);
      length++;
    };
    if (d.length <= pieceSize) tokenizePiece(d, "", false, count);
    else yield* tokenSteps(d, count, pieceSize);
    counts.push(tf);
    lengths.push(length);
    work += 1 + length + d.length / 8;
    if (work >= BATCH) {
      work = 0;
      yield;
    }
  }
  const n = counts.length;
  const avgLength = lengths.reduce((sum, l) => sum + l, 0) / Math.max(n, 1) || 1;

  const df = new TermCounts();
  for (const tf of counts) {
    for (const t of tf.terms()) {
      df.add(t);
      if (++work >= BATCH) {
        work = 0;
        yield;
      }
    }
  }

  const scores: DocumentScore[] = [];
  for (let i = 0; i < n; i++) {
    const tf = counts[i]!;
    let raw = 0;
    for (const term of terms) {
      if (++work >= BATCH) {
        work = 0;
        yield;
      }
      const f = tf.get(term);
      if (!f) continue;
      const nq = df.get(term)!;
      const idf = Math.log(1 + (n - nq + 0.5) / (nq + 0.5));
      raw += (idf * f * (k1 + 1)) / (f + k1 * (1 - b + (b * lengths[i]!) / avgLength));
    }
    scores.push({ rawScore: raw, score: raw / (raw + 1) });
  }
  return scores;
}

/** `bm25Scores` with a chosen piece size for tokenizing: the scores must not depend on it. */
export function bm25ScoresInPieces(
  query: string,
  documents: readonly string[],
  k1: number,
  b: number,
  pieceSize: number,
): DocumentScore[] {
  const steps = bm25Steps(query, documents, k1, b, pieceSize);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

export function createLexicalProvider(input: LexicalRerankerConfig): Reranker {
  const { k1, b } = parseProviderConfig(lexicalConfigSchema, input, "lexical");
  return defineProvider({
    provider: "lexical",
    model: "bm25",
    scoresDependOnCandidates: true,
    score: (query, documents, { signal }) =>
      bm25ScoresSliced(query, documents, k1, b, new TimeSlices(signal, "lexical")),
  });
}

/**
 * Keeps the first stage's order: the document at position r (1-based) gets `rawScore` r and `score` 1 / r, so
 * scores fall from 1 and the ranking is the input order. The last resort behind a first stage that already
 * ranks well (BM25 especially), where reordering by a weaker signal would make results worse.
 */
export function createPassthroughProvider(input: PassthroughRerankerConfig): Reranker {
  parseProviderConfig(passthroughConfigSchema, input, "passthrough");
  return defineProvider({
    provider: "passthrough",
    model: "input-order",
    scoresDependOnCandidates: true,
    score: async (_query, documents) => documents.map((_, i) => ({ rawScore: i + 1, score: 1 / (i + 1) })),
  });
}
