import { throwIfAborted } from "@crossrank/core";

/**
 * CPU work on the main thread (tokenizing, laying out and padding pairs) runs in small steps; the event loop gets a
 * turn this often, so servers stay responsive and a call's timeout or abort can fire in the middle of the work.
 */
export const YIELD_EVERY_MS = 10;

/** Splits a call's main-thread work into time slices, and stops it at the first yield after its signal fires. */
export class TimeSlicer {
  private sliceStart = performance.now();

  constructor(private readonly signal: AbortSignal | undefined) {}

  /** Whether the current slice has used its time; checked between steps without a microtask each time. */
  due(): boolean {
    return performance.now() - this.sliceStart >= YIELD_EVERY_MS;
  }

  /** Gives the event loop a turn (timers and I/O run), then throws ABORTED if the call was aborted meanwhile. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    throwIfAborted(this.signal, "local");
    this.sliceStart = performance.now();
  }

  /** Yields if the slice is used up; for loops whose steps are cheap next to the check. */
  async step(): Promise<void> {
    if (this.due()) await this.pause();
  }
}
