import pLimit from "p-limit";
import { RerankError, isRerankError } from "./errors.js";
import { describeNetworkFailure } from "./network-failure.js";
import {
  CrossOriginRedirectError,
  maxResponseBytesFromEnv,
  RedirectRefusedError,
  ResponseTooLargeError,
} from "./origin-bound-fetch.js";
import { createRedactor, safeRequestId } from "./redact.js";
import { RetryAfterTooLongError, TransientError, withRetries, type RetryPolicy } from "./retry.js";
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
    /** The body as the server sent it; quoted in the error only after redaction, and shortened. */
    readonly body?: string,
  ) {
    super(message);
  }
}

/**
 * Fails fast on a list of results longer than the documents sent, before a schema walks every entry: a hostile
 * body of many small entries would otherwise hold the event loop for the whole walk.
 */
export function checkResultCount(list: unknown, sent: number, requestId?: string): void {
  if (Array.isArray(list) && list.length > sent) {
    throw new InvalidResponseError(`returned ${list.length} results for ${sent} documents`, requestId);
  }
}

export interface HostedLimits {
  /** Most documents the API accepts in one request. */
  maxDocumentsPerRequest: number;
  /** The API's token rules per request, where it has them. */
  tokens?: TokenBudget;
  /** Requests in flight at once for one rerank call. */
  maxConcurrency: number;
  /** Per-request timeout; also the most time all waits between one request's retries may take together. */
  timeoutMs: number;
  retry: RetryPolicy;
  /** Most bytes of one response read (DEFAULT_MAX_RESPONSE_BYTES unless CROSSRANK_MAX_RESPONSE_BYTES says). */
  maxResponseBytes: number;
}

/** The limits a hosted provider's config asks for, with the API's own document limit as default. */
export function limitsFromConfig(
  config: {
    maxDocumentsPerRequest?: number;
    maxConcurrency: number;
    timeoutMs: number;
    maxRetries: number;
    retryDelayMs: number;
  },
  apiMaxDocuments: number,
  tokens?: TokenBudget,
): HostedLimits {
  return {
    maxDocumentsPerRequest: config.maxDocumentsPerRequest ?? apiMaxDocuments,
    ...(tokens ? { tokens } : {}),
    maxConcurrency: config.maxConcurrency,
    timeoutMs: config.timeoutMs,
    retry: {
      retries: config.maxRetries,
      minTimeout: config.retryDelayMs,
      maxTimeout: Math.max(config.retryDelayMs, 20_000),
      maxWaitMs: config.timeoutMs,
    },
    maxResponseBytes: maxResponseBytesFromEnv(),
  };
}

export interface HostedBackendSpec {
  provider: string;
  model: string;
  limits: HostedLimits;
  /** Where requests go (scheme://host:port), named when the network fails. */
  origin?: string;
  /** Every value the user configured that must never be written anywhere (API keys, header values), any length. */
  secrets: string[];
  /**
   * Sends one request. Throws HttpStatusError for HTTP failures, InvalidResponseError for a body that is not the
   * API's answer; these and the errors of originBoundFetch are recognised anywhere in a `cause` chain; any other
   * throw is a network failure.
   */
  send(query: string, documents: readonly string[], signal: AbortSignal): Promise<HostedBatchResult>;
}

/** The first error of class `type` in `error`'s cause chain (SDKs wrap what their fetch threw). */
function inCauses<T extends Error>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 8 && e; depth++) {
    if (e instanceof type) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const SERVER_TEXT = 300;

/**
 * The behaviour every hosted reranker shares, written once: split the documents into requests within the API's
 * limits, run them with bounded concurrency, retry transient failures (429 with Retry-After, 5xx, network
 * errors, timeouts) with backoff, check every response, and map scores back to the caller's indices.
 * Everything it reports (messages, request ids, events) passes through one redactor of the configured secrets,
 * and a server's own text is redacted before it is shortened.
 */
export function defineHostedBackend(spec: HostedBackendSpec): ScoringBackend {
  const { provider, limits } = spec;
  const redactor = createRedactor(spec.secrets);
  const host = spec.origin ? new URL(spec.origin).host : "the server";
  const cleanId = (id: unknown) => safeRequestId(id, redactor);
  const idNote = (id: string | undefined) => (id ? ` (request id ${id})` : "");
  const fail = (
    code: "PROVIDER_ERROR" | "INVALID_RESPONSE" | "RATE_LIMITED",
    message: string,
    extra: { status?: number; requestId?: string; attempts?: number; retryAfterMs?: number } = {},
  ) => new RerankError(code, redactor.redact(`${provider} (${spec.model}): ${message}`), { provider, ...extra });

  const validate = (batch: HostedBatchResult, requestId: string | undefined, sent: number): DocumentScore[] => {
    const where = idNote(requestId);
    const results: unknown = batch?.results;
    if (!Array.isArray(results) || results.length !== sent) {
      throw fail(
        "INVALID_RESPONSE",
        `returned ${Array.isArray(results) ? results.length : "no"} results for ${sent} documents${where}`,
        { status: 200, requestId },
      );
    }
    const out: (DocumentScore | undefined)[] = new Array(sent);
    for (const r of results as HostedBatchResult["results"]) {
      if (!Number.isInteger(r?.index) || r.index < 0 || r.index >= sent) {
        throw fail(
          "INVALID_RESPONSE",
          `returned index ${redactor.excerpt(String(JSON.stringify(r?.index)), 40)}, outside 0..${sent - 1}${where}`,
          { status: 200, requestId },
        );
      }
      if (out[r.index])
        throw fail("INVALID_RESPONSE", `returned index ${r.index} twice${where}`, { status: 200, requestId });
      if (!Number.isFinite(r.score) || r.score < 0 || r.score > 1 || !Number.isFinite(r.rawScore)) {
        const shown = redactor.excerpt(String(JSON.stringify(r.score)), 40);
        throw fail(
          "INVALID_RESPONSE",
          `returned score ${shown} for index ${r.index}; expected a number in [0, 1]${where}`,
          { status: 200, requestId },
        );
      }
      out[r.index] = { score: r.score, rawScore: r.rawScore };
    }
    return out as DocumentScore[];
  };

  const request = async (
    query: string,
    documents: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<DocumentScore[]> => {
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

    /** What one failed attempt means: a TransientError to retry, or the RerankError that ends the request. */
    const classify = (error: unknown, timedOut: boolean): Error => {
      if (error instanceof HttpStatusError) {
        const id = cleanId(error.requestId);
        requestId = id ?? requestId;
        const text = redactor.excerpt(String(error.message), SERVER_TEXT);
        if (error.status === 429 || error.status >= 500) {
          return new TransientError(`HTTP ${error.status}: ${text}`, {
            status: error.status,
            requestId: id,
            retryAfterMs: error.retryAfterMs,
          });
        }
        const ids = id ? `, request id ${id}` : "";
        return fail("PROVIDER_ERROR", `HTTP ${error.status}${ids}: ${text}${hint(error.status, provider)}`, {
          status: error.status,
          requestId: id,
          attempts,
        });
      }
      if (isRerankError(error)) return error;
      const tooLarge = inCauses(error, ResponseTooLargeError);
      if (tooLarge) return fail("INVALID_RESPONSE", `${tooLarge.message}; nothing more was read`, { attempts });
      const crossOrigin = inCauses(error, CrossOriginRedirectError);
      if (crossOrigin) {
        return fail(
          "PROVIDER_ERROR",
          `${crossOrigin.message}; not followed, so the API key and headers were not sent there. ` +
            `If ${crossOrigin.to} is the right server, configure it as the base URL`,
          { status: crossOrigin.status, attempts },
        );
      }
      const refused = inCauses(error, RedirectRefusedError);
      if (refused) return fail("PROVIDER_ERROR", refused.message, { attempts });
      const invalid = inCauses(error, InvalidResponseError);
      if (invalid) {
        const id = cleanId(invalid.requestId);
        requestId = id ?? requestId;
        const body = invalid.body === undefined ? "" : `: ${JSON.stringify(redactor.excerpt(invalid.body, 120))}`;
        return fail("INVALID_RESPONSE", `${redactor.excerpt(invalid.message, SERVER_TEXT)}${body}${idNote(id)}`, {
          status: 200,
          requestId: id,
          attempts,
        });
      }
      if (timedOut) return new TransientError(`no response from ${host} within ${limits.timeoutMs} ms`);
      const network = describeNetworkFailure(error);
      const code = network.code && !network.reason.includes(network.code) ? ` (${network.code})` : "";
      return new TransientError(`network error reaching ${host}: ${redactor.excerpt(network.reason, 200)}${code}`, {
        ...(network.maxRetries === undefined ? {} : { maxRetries: network.maxRetries }),
      });
    };

    try {
      const scores = await withRetries(
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
            throw classify(error, timeout.aborted);
          }
          requestId = cleanId(batch?.requestId);
          return validate(batch, requestId, documents.length);
        },
        limits.retry,
        signal,
      );
      report(true, 200);
      return scores;
    } catch (error) {
      report(false, isRerankError(error) ? error.status : (error as TransientError)?.details?.status);
      if (isRerankError(error)) throw error;
      if (signal?.aborted) throwIfAborted(signal, provider);
      const tries = `after ${attempts} attempt${attempts === 1 ? "" : "s"}`;
      if (error instanceof TransientError) {
        const { status, requestId: id, retryAfterMs } = error.details;
        const code = status === 429 ? "RATE_LIMITED" : "PROVIDER_ERROR";
        const waitNote = error instanceof RetryAfterTooLongError ? "; not retried, so a fallback can answer now" : "";
        throw fail(code, `${error.message}${idNote(id)}, ${tries}${waitNote}`, {
          status,
          requestId: id,
          attempts,
          ...(code === "RATE_LIMITED" && retryAfterMs !== undefined ? { retryAfterMs } : {}),
        });
      }
      throw fail("PROVIDER_ERROR", redactor.excerpt((error as Error)?.message ?? String(error), SERVER_TEXT), {
        attempts,
      });
    }
  };

  return {
    provider,
    model: spec.model,
    async score(query, documents, { signal }) {
      const ranges = planRequests(query, documents, limits.maxDocumentsPerRequest, limits.tokens, provider);
      const limit = pLimit(limits.maxConcurrency);
      try {
        const parts = await Promise.all(
          ranges.map(([start, end]) => limit(() => request(query, documents.slice(start, end), signal))),
        );
        return parts.flat();
      } finally {
        // After a failure, requests not yet started would only be thrown away.
        limit.clearQueue();
      }
    },
  };
}

/**
 * The API key from the config, else from the provider's environment variables, the first set one winning; a clear
 * error naming them when none is set. Trimmed, as fetch trims the header it goes in: the key sent is the key
 * redacted.
 */
export function requireApiKey(
  configured: string | undefined,
  variables: string | readonly string[],
  provider: string,
): string {
  const names: readonly string[] = typeof variables === "string" ? [variables] : variables;
  const key =
    configured === undefined
      ? names.map((name) => process.env[name]?.trim()).find((value) => value)
      : trimKey(configured, provider);
  if (!key) {
    const [first, ...others] = names;
    const set = first ? `set ${first}${others.length ? ` (or ${others.join(", ")})` : ""}, or ` : "";
    const message = `the ${provider} provider needs an API key: ${set}pass apiKey in a config object`;
    throw new RerankError("INVALID_CONFIG", message, { provider });
  }
  return key;
}

/** A configured key without the spaces around it; one that is only spaces is refused, not sent blank. */
function trimKey(key: string, provider: string): string {
  const trimmed = key.trim();
  if (!trimmed) {
    throw new RerankError("INVALID_CONFIG", `config.apiKey of the ${provider} provider is blank (only whitespace)`, {
      provider,
    });
  }
  return trimmed;
}

function hint(status: number, provider: string): string {
  if (status === 401) return ` (check the ${provider} API key)`;
  if (status === 403) return ` (the ${provider} API key may lack access to this model)`;
  return "";
}
