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

export function tokenize(text: string): string[] {
  return (text.toLowerCase().normalize("NFKC").match(/[\p{L}\p{N}]+/gu) ?? []).filter((t) => !STOPWORDS.has(t));
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

/** The same scores, with the event loop given a turn between documents once a time slice is used up. */
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

/** BM25 as a generator that pauses after each document's share of the work: one code path, sync or sliced. */
function* bm25Steps(
  query: string,
  documents: readonly string[],
  k1: number,
  b: number,
): Generator<void, DocumentScore[]> {
  const terms = [...new Set(tokenize(query))];
  const docs: string[][] = [];
  for (const d of documents) {
    docs.push(tokenize(d));
    yield;
  }
  const n = docs.length;
  const avgLength = docs.reduce((sum, d) => sum + d.length, 0) / Math.max(n, 1) || 1;
  const df = new Map<string, number>();
  const counts: Map<string, number>[] = [];
  for (const d of docs) {
    const tf = new Map<string, number>();
    for (const t of d) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const t of tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
    counts.push(tf);
    yield;
  }
  return counts.map((tf, i) => {
    let raw = 0;
    for (const term of terms) {
      const f = tf.get(term);
      if (!f) continue;
      const nq = df.get(term)!;
      const idf = Math.log(1 + (n - nq + 0.5) / (nq + 0.5));
      raw += (idf * f * (k1 + 1)) / (f + k1 * (1 - b + (b * docs[i]!.length) / avgLength));
    }
    return { rawScore: raw, score: raw / (raw + 1) };
  });
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
