/**
 * The least a body must bring in each window of the timeout's length. A host that trickles a byte now and then
 * never goes silent for the whole timeout, yet would take days over a model. 1 KiB per window is 34 bytes a second
 * at the default 30 s: no real connection, however slow, comes near it.
 */
export const MIN_BYTES_PER_WINDOW = 1024;

const LIMIT = "CROSSRANK_HUB_TIMEOUT_MS / timeoutMs";

/**
 * Ends a download attempt whose host goes quiet or slows to a trickle: armed before each request (connect and
 * response headers) and again for the body, it aborts the attempt's fetch after `ms` without a byte, or at the end
 * of any `ms`-long window that brought fewer than MIN_BYTES_PER_WINDOW. The caller's own signal aborts it too.
 */
export class StallTimer {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private silence: NodeJS.Timeout | undefined;
  private window: NodeJS.Timeout | undefined;
  private windowBytes = 0;
  private host = "";
  private waitingFor = "";
  /** Set when the timer, not the caller, ended the attempt. */
  stalled: string | undefined;

  constructor(
    readonly ms: number,
    outer: AbortSignal | undefined,
  ) {
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
  }

  /** Starts (or restarts) the wait for `host`; `waitingFor` says what is awaited, for the message. */
  arm(host: string, waitingFor: string): void {
    this.host = host;
    this.waitingFor = waitingFor;
    this.stop();
    this.windowBytes = 0;
    this.silence = setTimeout(() => this.end(`sent nothing for ${this.ms} ms`), this.ms);
    this.window = setTimeout(() => this.endOfWindow(), this.ms);
  }

  /** Progress: `bytes` more arrived, and the wait for the next ones starts over. */
  kick(bytes: number): void {
    this.windowBytes += bytes;
    this.silence?.refresh();
  }

  stop(): void {
    clearTimeout(this.silence);
    clearTimeout(this.window);
  }

  private endOfWindow(): void {
    if (this.stalled) return;
    if (this.windowBytes === 0) return this.end(`sent nothing for ${this.ms} ms`);
    if (this.windowBytes < MIN_BYTES_PER_WINDOW) {
      return this.end(
        `sent only ${this.windowBytes} bytes in ${this.ms} ms`,
        `at least ${MIN_BYTES_PER_WINDOW} bytes per ${LIMIT}`,
      );
    }
    this.windowBytes = 0;
    this.window?.refresh();
  }

  private end(what: string, limit = LIMIT): void {
    if (this.stalled) return;
    this.stop();
    this.stalled = `${this.host} ${what} while crossrank waited for ${this.waitingFor} (limit: ${limit})`;
    this.controller.abort(new Error(this.stalled));
  }
}
