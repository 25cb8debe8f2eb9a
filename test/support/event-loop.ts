import { readFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";

/** CPU time of this process's main thread in ms (Linux, 10 ms ticks), or undefined where it cannot be read. */
export function mainThreadCpuMs(): number | undefined {
  if (!isMainThread) return undefined;
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime, in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

export interface Watched<T> {
  value: T;
  /** The longest the event loop was held: a gap of the 5 ms interval, counting only the main thread's own CPU. */
  stallMs: number;
  /** The longest wall-clock gap of the interval, which on a loaded machine includes waiting for a core. */
  wallMs: number;
  /** How long `work` took. */
  ms: number;
}

/**
 * Runs `work` while a 5 ms interval times the event loop. On a shared machine a gap can be the thread waiting for
 * a core, so where Linux reports it a gap counts only the time the main thread itself ran.
 */
export async function watchEventLoop<T>(work: () => Promise<T>): Promise<Watched<T>> {
  let last = performance.now();
  let lastCpu = mainThreadCpuMs();
  let stallMs = 0;
  let wallMs = 0;
  const tick = () => {
    const now = performance.now();
    const cpu = mainThreadCpuMs();
    const gap = now - last;
    const ran = cpu === undefined || lastCpu === undefined ? gap : Math.min(gap, cpu - lastCpu + 10);
    stallMs = Math.max(stallMs, ran);
    wallMs = Math.max(wallMs, gap);
    last = now;
    lastCpu = cpu;
  };
  const timer = setInterval(tick, 5);
  const started = performance.now();
  try {
    const value = await work();
    tick();
    return { value, stallMs, wallMs, ms: performance.now() - started };
  } finally {
    clearInterval(timer);
  }
}
