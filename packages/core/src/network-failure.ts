/** Why a request got no HTTP answer, from the error code Node put in the `cause` chain, and how often to try again. */
export interface NetworkFailure {
  /** The system or TLS error code (ENOTFOUND, ECONNREFUSED, ECONNRESET, CERT_HAS_EXPIRED, …), when there is one. */
  code: string | undefined;
  /** What it means, in words. */
  reason: string;
  /** Retries worth making: none for a host name that does not resolve or a certificate that is wrong. */
  maxRetries: number | undefined;
}

const REASONS: Record<string, [string, number | undefined]> = {
  ENOTFOUND: ["the host name does not resolve (DNS)", 0],
  EAI_AGAIN: ["the DNS lookup failed for now", undefined],
  ECONNREFUSED: ["the connection was refused: nothing listens there", 1],
  ECONNRESET: ["the connection was reset", undefined],
  EPIPE: ["the connection was closed while sending", undefined],
  ETIMEDOUT: ["connecting took too long", undefined],
  EHOSTUNREACH: ["the host is unreachable", 1],
  ENETUNREACH: ["the network is unreachable", 1],
  UND_ERR_SOCKET: ["the server closed the connection", undefined],
  UND_ERR_CONNECT_TIMEOUT: ["connecting took too long", undefined],
  UND_ERR_HEADERS_OVERFLOW: ["the response headers are too large", 0],
};

/** The `code` of the first error in the `cause` chain (and an AggregateError's members) that has one. */
export function causeCode(error: unknown): { code: string; message: string } | undefined {
  const queue: unknown[] = [error];
  // Bounded: a cause chain can loop.
  for (let seen = 0; queue.length && seen < 16; seen++) {
    const e = queue.shift();
    if (!e || typeof e !== "object") continue;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code !== "ABORT_ERR" && code !== "UND_ERR_ABORTED") {
      return { code, message: String((e as { message?: unknown }).message ?? "") };
    }
    queue.push((e as { cause?: unknown }).cause);
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) queue.push(...errors.slice(0, 4));
  }
  return undefined;
}

function isTlsCode(code: string): boolean {
  return /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME/i.test(code);
}

/** The message of the last error in the `cause` chain: "fetch failed" says less than what it wraps. */
function deepestMessage(error: unknown): string {
  let message = String((error as Error)?.message ?? error);
  let e: unknown = (error as { cause?: unknown })?.cause;
  for (let depth = 0; depth < 8 && e; depth++, e = (e as { cause?: unknown }).cause) {
    const m = (e as { message?: unknown }).message;
    if (typeof m === "string" && m) message = m;
  }
  return message;
}

/** Names the cause of a network error the way an operator needs it; a TLS failure is not retried. */
export function describeNetworkFailure(error: unknown): NetworkFailure {
  const found = causeCode(error);
  if (!found) {
    const message = deepestMessage(error);
    // fetch will not connect to ports the Fetch standard blocks (1, 9, 25, 6000, …): trying again cannot help.
    if (message === "bad port")
      return { code: undefined, reason: "fetch refuses this port (blocked by the Fetch standard)", maxRetries: 0 };
    return { code: undefined, reason: message, maxRetries: undefined };
  }
  const known = REASONS[found.code];
  if (known) return { code: found.code, reason: known[0], maxRetries: known[1] };
  if (isTlsCode(found.code)) return { code: found.code, reason: `TLS failed: ${found.message}`, maxRetries: 0 };
  return { code: found.code, reason: found.message || found.code, maxRetries: undefined };
}
