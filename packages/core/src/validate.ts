import { RerankError } from "./errors.js";
import type { DocumentScore, RerankOptions } from "./types.js";

export function validateQuery(query: unknown): asserts query is string {
  if (typeof query !== "string") {
    throw new RerankError("INVALID_INPUT", `query must be a string, got ${describe(query)}`);
  }
  if (query.trim() === "") throw new RerankError("INVALID_INPUT", "query is empty: pass the user's question or search text");
}

export function validateDocuments(documents: unknown): asserts documents is string[] {
  if (!Array.isArray(documents)) {
    throw new RerankError("INVALID_INPUT", `documents must be an array of strings, got ${describe(documents)}`);
  }
  for (let i = 0; i < documents.length; i++) {
    if (typeof documents[i] !== "string") {
      throw new RerankError(
        "INVALID_INPUT",
        `documents[${i}] must be a string, got ${describe(documents[i])}; pass each document's text (e.g. doc.pageContent)`,
      );
    }
  }
}

export function validateOptions(options: unknown): asserts options is RerankOptions | undefined {
  if (options === undefined) return;
  if (options === null || typeof options !== "object") {
    throw new RerankError("INVALID_INPUT", `options must be an object, got ${describe(options)}`);
  }
  const { topN, signal } = options as RerankOptions;
  if (topN !== undefined && !(Number.isInteger(topN) && topN > 0)) {
    throw new RerankError("INVALID_INPUT", `topN must be a positive integer, got ${describe(topN)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new RerankError("INVALID_INPUT", `signal must be an AbortSignal, got ${describe(signal)}`);
  }
}

/** A backend must return one finite score in [0, 1] and a finite raw score per document, in input order. */
export function validateScores(provider: string, scores: unknown, expected: number): asserts scores is DocumentScore[] {
  if (!Array.isArray(scores) || scores.length !== expected) {
    const got = Array.isArray(scores) ? `${scores.length} scores` : describe(scores);
    throw new RerankError("INVALID_RESPONSE", `${provider} returned ${got} for ${expected} documents`, { provider });
  }
  scores.forEach((s: DocumentScore | undefined, i) => {
    if (!s || !Number.isFinite(s.score) || s.score < 0 || s.score > 1 || !Number.isFinite(s.rawScore)) {
      throw new RerankError(
        "INVALID_RESPONSE",
        `${provider} returned an invalid score for document ${i}: ${JSON.stringify(s)} (score must be a number in [0, 1], rawScore a finite number)`,
        { provider },
      );
    }
  });
}

export function throwIfAborted(signal: AbortSignal | undefined, provider: string): void {
  if (signal?.aborted) {
    throw new RerankError("ABORTED", `rerank was aborted${reason(signal)}`, { provider, cause: signal.reason });
  }
}

function reason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error && r.name !== "AbortError") return `: ${r.message}`;
  return "";
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value;
}
