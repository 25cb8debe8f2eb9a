import pLimit from "p-limit";
import { RerankError, isRerankError } from "./errors.js";
import { TransientError, withRetries, type RetryPolicy } from "./retry.js";
import type { DocumentScore, ScoringBackend } from "./types.js";
import { reportRequest } from "./telemetry.js";
import { planRequests, type TokenBudget } from "./token-budget.js";
import { throwIfAborted } from "./validate.js";

/** One API call's answer: a score for every document sent, by position in that call. */
export interface HostedBatchResult {
  results: { index: number; score: number; rawScore: number }[];
  requestId?: string;
}

/** An HTTP answer that is not a success, as a provider's transport reports it. */
export class HttpStatusError extends Error {
  override readonly name = "HttpStatusError";
  constructor(
    readonly status: number,
    message: string,
    readonly requestId?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A success status whose body is not the API's response (unparsable JSON, the wrong shape). */
export class InvalidResponseError extends Error {
  override readonly name = "InvalidResponseError";
  constructor(
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

export interface HostedLimits {
  /** Most documents the API accepts in one request. */
  maxDocumentsPerRequest: number;
  /** The API's token rules per request, where it has them. */
  tokens?: TokenBudget;
  /** Requests in flight at once for one rerank call. */
  maxConcurrency: number;
  /** Per-request timeout. */
  timeoutMs: number;
  retry: RetryPolicy;
}

/** The limits a hosted provider's config asks for, with the API's own document limit as default. */
export function limitsFromConfig(
  config: { maxDocumentsPerRequest?: number; maxConcurrency: number; timeoutMs: number; maxRetries: number; retryDelayMs: number },
  apiMaxDocuments: number,
  tokens?: TokenBudget,
): HostedLimits {
  return {
    maxDocumentsPerRequest: config.maxDocumentsPerRequest ?? apiMaxDocuments,
    ...(tokens ? { tokens } : {}),
    maxConcurrency: config.maxConcurrency,
    timeoutMs: config.timeoutMs,
    retry: { retries: config.maxRetries, minTimeout: config.retryDelayMs, maxTimeout: Math.max(config.retryDelayMs, 20_000) },
  };
}

export interface HostedBackendSpec {
  provider: string;
  model: string;
  limits: HostedLimits;
  /** Values that must never appear in an error (API keys, auth headers). */
  secrets: string[];
  /** Sends one request. Throws HttpStatusError for HTTP failures; any other throw is a network failure. */
  send(query: string, documents: readonly string[], signal: AbortSignal): Promise<HostedBatchResult>;
}

function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join("[redacted]");
  return out;
}

/**
 * The behaviour every hosted reranker shares, written once: split the documents into requests within the API's
 * limits, run them with bounded concurrency, retry transient failures (429 with Retry-After, 5xx, network
 * errors, timeouts) with backoff, check every response, and map scores back to the caller's indices.
 */
export function defineHostedBackend(spec: HostedBackendSpec): ScoringBackend {
  const { provider, limits } = spec;
  const fail = (code: "PROVIDER_ERROR" | "INVALID_RESPONSE", message: string, extra: { status?: number; requestId?: string; attempts?: number } = {}) =>
    new RerankError(code, redact(`${provider} (${spec.model}): ${message}`, spec.secrets), { provider, ...extra });

  const validate = (batch: HostedBatchResult, sent: number): DocumentScore[] => {
    const where = batch.requestId ? ` (request id ${batch.requestId})` : "";
    if (!Array.isArray(batch.results) || batch.results.length !== sent) {
      throw fail("INVALID_RESPONSE", `returned ${Array.isArray(batch.results) ? batch.results.length : "no"} results for ${sent} documents${where}`, { status: 200, requestId: batch.requestId });
    }
    const out: (DocumentScore | undefined)[] = new Array(sent);
    for (const r of batch.results) {
      if (!Number.isInteger(r.index) || r.index < 0 || r.index >= sent) {
        throw fail("INVALID_RESPONSE", `returned index ${JSON.stringify(r.index)}, outside 0..${sent - 1}${where}`, { status: 200, requestId: batch.requestId });
      }
      if (out[r.index]) throw fail("INVALID_RESPONSE", `returned index ${r.index} twice${where}`, { status: 200, requestId: batch.requestId });
      if (!Number.isFinite(r.score) || r.score < 0 || r.score > 1 || !Number.isFinite(r.rawScore)) {
        throw fail("INVALID_RESPONSE", `returned score ${JSON.stringify(r.score)} for index ${r.index}; expected a number in [0, 1]${where}`, { status: 200, requestId: batch.requestId });
      }
      out[r.index] = { score: r.score, rawScore: r.rawScore };
    }
    return out as DocumentScore[];
  };

  const request = async (query: string, documents: readonly string[], signal: AbortSignal | undefined): Promise<DocumentScore[]> => {
    let attempts = 0;
    const started = performance.now();
    // The status of every failed attempt (0: no HTTP answer), for telemetry.
    const failedStatuses: number[] = [];
    let requestId: string | undefined;
    const report = (ok: boolean, status: number | undefined) =>
      reportRequest({
        provider,
        model: spec.model,
        documents: documents.length,
        attempts,
        retriedStatuses: failedStatuses.slice(0, attempts - 1),
        status,
        requestId,
        durationMs: performance.now() - started,
        ok,
      });
    try {
      return await withRetries(
        async () => {
          attempts++;
          throwIfAborted(signal, provider);
          const timeout = AbortSignal.timeout(limits.timeoutMs);
          const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
          let batch: HostedBatchResult;
          try {
            batch = await spec.send(query, documents, combined);
          } catch (error) {
            if (signal?.aborted) throwIfAborted(signal, provider);
            failedStatuses.push(error instanceof HttpStatusError ? error.status : 0);
            if (error instanceof HttpStatusError) {
              requestId = error.requestId ?? requestId;
              if (error.status === 429 || error.status >= 500) {
                throw new TransientError(`HTTP ${error.status}: ${error.message}`, { status: error.status, requestId: error.requestId, retryAfterMs: error.retryAfterMs });
              }
              throw error;
            }
            if (isRerankError(error)) throw error;
            if (error instanceof InvalidResponseError) {
              throw fail("INVALID_RESPONSE", `${error.message}${error.requestId ? ` (request id ${error.requestId})` : ""}`, { status: 200, requestId: error.requestId });
            }
            if (timeout.aborted) throw new TransientError(`no response within ${limits.timeoutMs} ms`);
            throw new TransientError(`network error: ${(error as Error)?.message ?? String(error)}`);
          }
          requestId = batch.requestId;
          return validate(batch, documents.length);
        },
        limits.retry,
        signal,
      ).then((scores) => {
        report(true, 200);
        return scores;
      });
    } catch (error) {
      report(false, isRerankError(error) ? error.status : error instanceof HttpStatusError ? error.status : (error as TransientError)?.details?.status);
      if (isRerankError(error)) throw error;
      if (signal?.aborted) throwIfAborted(signal, provider);
      const tries = `after ${attempts} attempt${attempts === 1 ? "" : "s"}`;
      if (error instanceof HttpStatusError) {
        const id = error.requestId ? `, request id ${error.requestId}` : "";
        throw fail("PROVIDER_ERROR", `HTTP ${error.status}${id}: ${error.message}${hint(error.status, provider)}`, { status: error.status, requestId: error.requestId, attempts });
      }
      if (error instanceof TransientError) {
        const id = error.details.requestId ? ` (request id ${error.details.requestId})` : "";
        throw fail("PROVIDER_ERROR", `${error.message}${id}, ${tries}`, { status: error.details.status, requestId: error.details.requestId, attempts });
      }
      throw fail("PROVIDER_ERROR", (error as Error)?.message ?? String(error), { attempts });
    }
  };

  return {
    provider,
    model: spec.model,
    async score(query, documents, { signal }) {
      const ranges = planRequests(query, documents, limits.maxDocumentsPerRequest, limits.tokens, provider);
      const limit = pLimit(limits.maxConcurrency);
      try {
        const parts = await Promise.all(ranges.map(([start, end]) => limit(() => request(query, documents.slice(start, end), signal))));
        return parts.flat();
      } finally {
        // After a failure, requests not yet started would only be thrown away.
        limit.clearQueue();
      }
    },
  };
}

/** The API key from the config, else from the provider's environment variable; a clear error naming both when neither is set. */
export function requireApiKey(configured: string | undefined, variable: string, provider: string): string {
  const key = configured ?? process.env[variable]?.trim();
  if (!key) throw new RerankError("INVALID_CONFIG", `the ${provider} provider needs an API key: pass apiKey or set ${variable}`, { provider });
  return key;
}

function hint(status: number, provider: string): string {
  if (status === 401) return ` (check the ${provider} API key)`;
  if (status === 403) return ` (the ${provider} API key may lack access to this model)`;
  return "";
}
