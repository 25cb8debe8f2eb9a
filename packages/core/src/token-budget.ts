import { Buffer } from "node:buffer";
import { RerankError } from "./errors.js";

/**
 * A hosted API's per-request token rules, as its documentation states them. Token counts are estimated locally
 * (no network call, no vendor tokenizer), on the high side, so a planned request stays within the API's limit.
 */
export interface TokenBudget {
  /** Most tokens one request may carry, counted as the API counts them. */
  maxTokensPerRequest: number;
  /** The API counts the query once per document (Voyage: query tokens × documents + document tokens). */
  queryPerDocument: boolean;
  /** Most tokens in the query plus one document (the model's context length). */
  maxTokensPerPair?: number;
  /** A longer pair is cut by the API to fit ("truncate"), or the call fails before anything is sent ("reject"). */
  oversizePair: "truncate" | "reject";
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** Longest text counted character by character; a longer one is far past every API's limit per document. */
const EXACT_COUNT_MAX = 1 << 20;

/**
 * An upper estimate of a subword tokenizer's count: one token per three ASCII characters (English runs about four
 * per token) and one and a half per other character (CJK and other scripts run near one). The count takes time in
 * proportion to the text, so a huge one is not walked: ASCII text is known from its UTF-8 length (counted natively),
 * and past EXACT_COUNT_MAX characters other text is bounded from it too (exact for 2-byte scripts, high for CJK).
 */
export function estimateTokens(text: string): number {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes === text.length) return Math.ceil(bytes / 3);
  if (text.length > EXACT_COUNT_MAX) {
    // Each non-ASCII UTF-16 unit adds one or two bytes, so there are at most `bytes - length` of them.
    const other = Math.min(text.length, bytes - text.length);
    return Math.ceil((text.length - other) / 3 + other * 1.5);
  }
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 128) ascii++;
    // A surrogate pair is one character: its second half is not counted again.
    else if (!isLowSurrogate(unit) || !isHighSurrogate(text.charCodeAt(i - 1))) other++;
  }
  return Math.ceil(ascii / 3 + other * 1.5);
}

/**
 * Splits documents into consecutive requests that keep within the API's document and token limits. Every
 * document is in exactly one request, in order; one that cannot fit even alone is truncated by the API's rule or
 * fails the call with a clear error, never dropped.
 */
export function planRequests(
  query: string,
  documents: readonly string[],
  maxDocuments: number,
  budget: TokenBudget | undefined,
  provider: string,
): [start: number, end: number][] {
  const ranges: [number, number][] = [];
  if (!budget) {
    for (let start = 0; start < documents.length; start += maxDocuments) {
      ranges.push([start, Math.min(documents.length, start + maxDocuments)]);
    }
    return ranges;
  }
  const queryTokens = estimateTokens(query);
  const fixed = budget.queryPerDocument ? 0 : queryTokens;
  let start = 0;
  let used = fixed;
  documents.forEach((document, i) => {
    let tokens = estimateTokens(document);
    if (budget.maxTokensPerPair !== undefined && queryTokens + tokens > budget.maxTokensPerPair) {
      if (budget.oversizePair === "reject") {
        throw new RerankError(
          "INVALID_INPUT",
          `document ${i} with the query is about ${queryTokens + tokens} tokens, over ${provider}'s limit of ` +
            `${budget.maxTokensPerPair} per query and document; shorten it, or let the API truncate ` +
            "(the provider's truncation option)",
          { provider },
        );
      }
      tokens = Math.max(0, budget.maxTokensPerPair - queryTokens);
    }
    const cost = tokens + (budget.queryPerDocument ? queryTokens : 0);
    if (fixed + cost > budget.maxTokensPerRequest) {
      throw new RerankError(
        "INVALID_INPUT",
        `document ${i} alone is about ${fixed + cost} tokens with the query, over ${provider}'s limit of ` +
          `${budget.maxTokensPerRequest} per request; shorten it`,
        { provider },
      );
    }
    if (i > start && (i - start >= maxDocuments || used + cost > budget.maxTokensPerRequest)) {
      ranges.push([start, i]);
      start = i;
      used = fixed;
    }
    used += cost;
  });
  if (documents.length > start) ranges.push([start, documents.length]);
  return ranges;
}
