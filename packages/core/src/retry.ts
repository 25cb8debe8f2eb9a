import pRetry, { AbortError } from "p-retry";

/** A failure worth another attempt: a network error, a timeout, HTTP 429 or 5xx, a body cut short. */
export class TransientError extends Error {
  override readonly name = "TransientError";
  constructor(
    message: string,
    readonly details: { retryAfterMs?: number; status?: number; requestId?: string } = {},
  ) {
    super(message);
  }
}

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  minTimeout: number;
  maxTimeout: number;
}

/** A server asking for a longer pause than this is treated as down rather than waited for. */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Runs `attempt` until it succeeds, retrying only TransientErrors, with exponential backoff and jitter; a
 * Retry-After the server sent is waited out first. Any other error ends the retries at once.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  onRetry?: (error: TransientError, attemptNumber: number) => void,
): Promise<T> {
  return pRetry(
    async (n) => {
      try {
        return await attempt(n);
      } catch (error) {
        // p-retry would retry plain TypeErrors it takes for network errors; only TransientErrors qualify here.
        if (error instanceof TransientError) throw error;
        throw new AbortError(error instanceof Error ? error : new Error(String(error)));
      }
    },
    {
      retries: policy.retries,
      minTimeout: policy.minTimeout,
      maxTimeout: policy.maxTimeout,
      factor: 2,
      randomize: true,
      signal,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (!(error instanceof TransientError) || retriesLeft === 0) return;
        onRetry?.(error, attemptNumber);
        const wait = error.details.retryAfterMs;
        if (wait) await new Promise((r) => setTimeout(r, Math.min(wait, MAX_RETRY_AFTER_MS)));
      },
    },
  );
}

/** Retry-After as seconds or an HTTP date, in milliseconds. */
export function parseRetryAfter(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
