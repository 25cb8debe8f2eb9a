/**
 * Ends a download attempt whose host goes quiet: armed before each request (connect and response headers) and
 * re-armed by every chunk of the body, it aborts the attempt's fetch after `ms` without progress. The caller's
 * own signal aborts it too.
 */
export class StallTimer {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
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
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.stalled =
        `${this.host} sent nothing for ${this.ms} ms while crossrank waited for ${this.waitingFor} ` +
        "(limit: CROSSRANK_HUB_TIMEOUT_MS / timeoutMs)";
      this.controller.abort(new Error(this.stalled));
    }, this.ms);
  }

  /** Progress: the wait starts over. */
  kick(): void {
    this.timer?.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
