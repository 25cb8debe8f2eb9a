import { throwIfAborted } from "./validate.js";

/** How long main-thread work runs before the event loop gets a turn. */
export const SLICE_MS = 10;

/**
 * Splits a call's main-thread work (hashing, tokenizing) into short slices, so a large input does not stall a
 * server's other requests, and a call's abort or timeout can land in the middle of the work.
 */
export class TimeSlices {
  private sliceStart = performance.now();

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly provider: string,
  ) {}

  /** Whether this slice is used up; cheap enough to check between small steps. */
  due(): boolean {
    return performance.now() - this.sliceStart >= SLICE_MS;
  }

  /** Lets timers and I/O run, then stops with ABORTED if the call was aborted meanwhile. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    throwIfAborted(this.signal, this.provider);
    this.sliceStart = performance.now();
  }
}
