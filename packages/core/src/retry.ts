import { setTimeout as sleep } from "node:timers/promises";

/** A failure worth another attempt: a network error, a timeout, HTTP 429 or 5xx, a body cut short. */
export class TransientError extends Error {
  override readonly name = "TransientError";
  constructor(
    message: string,
    readonly details: {
      retryAfterMs?: number;
      status?: number;
      requestId?: string;
      /** Fewer retries than the policy's for this kind of failure (0: none), e.g. a refused connection. */
      maxRetries?: number;
    } = {},
  ) {
    super(message);
  }
}

/** A Retry-After longer than crossrank may wait: retrying ends at once, so a fallback can answer instead. */
export class RetryAfterTooLongError extends TransientError {
  constructor(
    readonly original: TransientError,
    /** The longest wait that was allowed at that point. */
    readonly allowedMs: number,
  ) {
    super(
      `${original.message}; the server asks to wait ${seconds(original.details.retryAfterMs!)}, ` +
        `longer than the ${seconds(allowedMs)} crossrank may wait`,
      original.details,
    );
  }
}

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  minTimeout: number;
  maxTimeout: number;
  /** Most time spent waiting between attempts, all waits together; a wait that does not fit ends the retries. */
  maxWaitMs?: number;
}

/** A server asking for a longer pause than this is treated as down rather than waited for. */
export const MAX_RETRY_AFTER_MS = 10_000;

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/**
 * Runs `attempt` until it succeeds, retrying only TransientErrors, with exponential backoff and jitter, or after
 * the Retry-After the server sent in place of the backoff. Every wait ends early when `signal` aborts (rejecting
 * with its AbortError), and all waits together stay within `maxWaitMs`. A Retry-After past MAX_RETRY_AFTER_MS or
 * past what is left of `maxWaitMs` ends the retries at once with RetryAfterTooLongError. Any other error ends
 * them at once too. (p-retry waits its own backoff after any pause asked for, and knows no total budget.)
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  onRetry?: (error: TransientError, attemptNumber: number) => void,
): Promise<T> {
  let waited = 0;
  for (let n = 1; ; n++) {
    signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      const retried = n - 1;
      if (retried >= Math.min(policy.retries, error.details.maxRetries ?? Infinity)) throw error;
      const left = (policy.maxWaitMs ?? Infinity) - waited;
      const asked = error.details.retryAfterMs;
      if (asked !== undefined && asked > Math.min(MAX_RETRY_AFTER_MS, left)) {
        throw new RetryAfterTooLongError(error, Math.max(0, Math.min(MAX_RETRY_AFTER_MS, left)));
      }
      const backoff = Math.min(policy.maxTimeout, policy.minTimeout * 2 ** retried * (1 + Math.random()));
      const wanted = asked ?? backoff;
      if (wanted > 0 && left <= 0) throw error;
      const wait = Math.round(Math.min(wanted, left));
      onRetry?.(error, n);
      if (wait > 0) await sleep(wait, undefined, signal ? { signal } : undefined);
      waited += wait;
    }
  }
}

/** Retry-After as seconds or an HTTP date, in milliseconds. */
export function parseRetryAfter(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  // "1e999" is Infinity: a pause no one waits for, which is what the server means.
  if (!Number.isNaN(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
