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

/**
 * An upper estimate of a subword tokenizer's count: one token per three ASCII characters (English runs about four
 * per token) and one and a half per other character (CJK and other scripts run near one).
 */
export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const ch of text) {
    if (ch.charCodeAt(0) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 3 + other * 1.5);
}

/**
 * Splits documents into consecutive requests that keep within the API's document and token limits. Every
 * document is in exactly one request, in order; one that cannot fit even alone is truncated by the API's rule or
 * fails the call with a clear error, never dropped.
 */
export function planRequests(query: string, documents: readonly string[], maxDocuments: number, budget: TokenBudget | undefined, provider: string): [start: number, end: number][] {
  const ranges: [number, number][] = [];
  if (!budget) {
    for (let start = 0; start < documents.length; start += maxDocuments) ranges.push([start, Math.min(documents.length, start + maxDocuments)]);
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
          `document ${i} with the query is about ${queryTokens + tokens} tokens, over ${provider}'s limit of ${budget.maxTokensPerPair} per query and document; shorten it, or let the API truncate (the provider's truncation option)`,
          { provider },
        );
      }
      tokens = Math.max(0, budget.maxTokensPerPair - queryTokens);
    }
    const cost = tokens + (budget.queryPerDocument ? queryTokens : 0);
    if (fixed + cost > budget.maxTokensPerRequest) {
      throw new RerankError(
        "INVALID_INPUT",
        `document ${i} alone is about ${fixed + cost} tokens with the query, over ${provider}'s limit of ${budget.maxTokensPerRequest} per request; shorten it`,
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
