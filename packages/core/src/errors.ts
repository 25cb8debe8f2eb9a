export type RerankErrorCode =
  /** The caller passed a bad query, document list or option. */
  | "INVALID_INPUT"
  /** The reranker config is malformed. */
  | "INVALID_CONFIG"
  /** The provider's package is not installed. */
  | "PROVIDER_NOT_INSTALLED"
  /** The model could not be found where it was looked for. */
  | "MODEL_NOT_FOUND"
  /** The model's files are incomplete, inconsistent or unsupported. */
  | "MODEL_INVALID"
  /** The model's files exist but the runtime could not load them. */
  | "MODEL_LOAD_FAILED"
  /** A model file could not be downloaded (network, HTTP status, access). */
  | "DOWNLOAD_FAILED"
  /** A downloaded file did not match its published size or checksum; nothing was cached. */
  | "CHECKSUM_MISMATCH"
  /** The backend returned something that breaks the result contract. */
  | "INVALID_RESPONSE"
  /**
   * A hosted API answered 429 and asked to wait longer than crossrank may (past a cap, or past what is left of
   * timeoutMs), or kept answering 429 through every retry; `retryAfterMs` says how long it asked for.
   */
  | "RATE_LIMITED"
  /** The caller's AbortSignal fired. */
  | "ABORTED"
  /** The provider was closed and cannot rerank any more. */
  | "CLOSED"
  /** Too much work is queued for the local model: shed load, retry later, or raise maxQueuedPairs / workers. */
  | "OVERLOADED"
  /** Any other failure inside the backend. */
  | "PROVIDER_ERROR";

/** The one error type crossrank throws; `code` is stable, `message` says what to do. */
export class RerankError extends Error {
  override readonly name = "RerankError";
  readonly code: RerankErrorCode;
  readonly provider: string | undefined;
  /** For failures of an HTTP API: the last HTTP status, the provider's request id, how many attempts were made. */
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly attempts: number | undefined;
  /** With RATE_LIMITED: the pause the server asked for (Retry-After), when it gave one. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: RerankErrorCode,
    message: string,
    options: {
      provider?: string;
      cause?: unknown;
      status?: number;
      requestId?: string;
      attempts?: number;
      retryAfterMs?: number;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.provider = options.provider;
    this.status = options.status;
    this.requestId = options.requestId;
    this.attempts = options.attempts;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * Also true for a RerankError from another copy of @crossrank/core (a bundle may hold one copy and load a
 * provider that brings its own), so it checks the shape, not the class.
 */
export function isRerankError(value: unknown, code?: RerankErrorCode): value is RerankError {
  const isOne =
    value instanceof RerankError ||
    (value instanceof Error && value.name === "RerankError" && typeof (value as RerankError).code === "string");
  return isOne && (code === undefined || (value as RerankError).code === code);
}
