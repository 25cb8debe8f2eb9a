import { createRedactor, isRerankError, RerankError, type Redactor } from "@crossrank/core";

/** Causes are followed this deep; a longer chain is cut there rather than walked without end. */
const MAX_DEPTH = 8;

function reveals(error: unknown, redactor: Redactor, depth: number): boolean {
  if (typeof error === "string") return redactor.reveals(error);
  if (!(error instanceof Error)) return false;
  if (redactor.reveals(error.message) || redactor.reveals(error.stack ?? "")) return true;
  return depth < MAX_DEPTH && reveals(error.cause, redactor, depth + 1);
}

function scrub(error: unknown, redactor: Redactor, depth: number): unknown {
  if (!reveals(error, redactor, depth)) return error;
  if (typeof error === "string") return redactor.redact(error);
  const original = error as Error;
  const cause = depth < MAX_DEPTH ? scrub(original.cause, redactor, depth + 1) : undefined;
  const message = redactor.redact(original.message);
  let out: Error;
  if (isRerankError(original)) {
    out = new RerankError(original.code, message, {
      provider: original.provider,
      status: original.status,
      requestId: original.requestId,
      attempts: original.attempts,
      retryAfterMs: original.retryAfterMs,
      cause,
    });
  } else {
    out = new Error(message, cause === undefined ? undefined : { cause });
    out.name = original.name;
  }
  out.stack = redactor.redact(original.stack ?? `${out.name}: ${message}`);
  return out;
}

/**
 * `error` with the hub token taken out of its message, stack and causes (as is, JSON-escaped or URL-encoded), for
 * whatever quotes it: a runtime error that prints a header, a host that echoes it, a name that happens to hold it.
 * An error that shows no token is returned as it is; one that does is rebuilt, a RerankError as a RerankError.
 */
export function withoutToken(error: unknown, token: string | undefined): unknown {
  if (!token) return error;
  return scrub(error, createRedactor([token]), 0);
}
