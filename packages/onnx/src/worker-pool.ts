import { RerankError } from "@crossrank/core";
import { WorkerThread, type RunResult, type Signature } from "./worker-thread.js";

export interface PoolSettings {
  /** The model file as the user knows it (errors, pool keys). */
  path: string;
  /** The file the session loads: `path`, or its copy with mappable weights (mapped-model.ts). */
  loadPath: string;
  /** Intra-op threads of each worker's session. */
  threads: number;
  /** Inference workers, each with its own session. */
  workers: number;
}

interface Job {
  feeds: Record<string, BigInt64Array>;
  dims: number[];
  output: string;
  signal: AbortSignal | undefined;
  resolve: (r: RunResult) => void;
  reject: (e: unknown) => void;
}

/** A call's queued batches, and the one abort listener that drops them all. */
interface AbortGroup {
  jobs: Set<Job>;
  onAbort: () => void;
}

/**
 * A model's inference workers and the queue in front of them. Batches of every call wait in one queue on the main
 * thread and go to the least-busy worker, each worker holding at most PIPELINE_DEPTH so it never idles between
 * batches; a batch whose call was aborted is dropped from the queue, never run. A worker that dies fails the
 * batches it held and is replaced when work next arrives. Admission is by pairs: a call that would take the pool's
 * pairs past its caller's `maxQueuedPairs` is refused at once with OVERLOADED, so the process does not grow without
 * bound and no call waits behind more than its caller allows.
 */
export class InferencePool {
  readonly ready: Promise<Signature>;
  private readonly threads: WorkerThread[] = [];
  private readonly queue: Job[] = [];
  private queuedPairs = 0;
  private readonly abortGroups = new Map<AbortSignal, AbortGroup>();
  /** Batches handed to each worker and not yet finished (counted at once, before the worker has them). */
  private readonly assignments = new Map<WorkerThread, number>();
  private closing = false;
  private static readonly PIPELINE_DEPTH = 2;

  constructor(readonly settings: PoolSettings) {
    for (let i = 0; i < settings.workers; i++) this.threads.push(this.spawn());
    // The model is usable once every worker has loaded it; one failure to load fails the pool.
    this.ready = Promise.all(this.threads.map((t) => t.ready)).then((signatures) => signatures[0]!);
    this.ready.catch(() => undefined);
  }

  /**
   * Reserves room for a call's pairs, counted against every caller's pairs and this caller's `maxQueuedPairs`; the
   * returned function gives it back. A call is always admitted into an empty pool, so one call larger than the
   * limit still runs, alone.
   */
  admit(pairs: number, maxQueuedPairs: number): () => void {
    if (this.queuedPairs > 0 && this.queuedPairs + pairs > maxQueuedPairs) {
      throw new RerankError(
        "OVERLOADED",
        `the local model ${this.settings.path} has ${this.queuedPairs} pairs queued and this call brings ${pairs}, ` +
          `over maxQueuedPairs (${maxQueuedPairs}); retry later, shed load, or raise maxQueuedPairs / workers`,
        { provider: "local" },
      );
    }
    this.queuedPairs += pairs;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.queuedPairs -= pairs;
    };
  }

  /** Pairs admitted and not yet finished, across every caller. */
  get load(): number {
    return this.queuedPairs;
  }

  run(feeds: Record<string, BigInt64Array>, dims: number[], output: string, signal: AbortSignal | undefined): Promise<RunResult> {
    if (this.closing) return Promise.reject(new RerankError("CLOSED", "the local reranker was closed; create a new one", { provider: "local" }));
    if (signal?.aborted) return Promise.reject(abortError());
    return new Promise<RunResult>((resolve, reject) => {
      const job: Job = { feeds, dims, output, signal, resolve, reject };
      if (signal) this.watch(signal, job);
      this.queue.push(job);
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const queued = this.queue.splice(0);
    for (const job of queued) this.unwatch(job);
    rejectAll(queued, new RerankError("CLOSED", "the local reranker was closed; create a new one", { provider: "local" }));
    await Promise.all(this.threads.map((t) => t.close()));
  }

  /** Ends every worker as a crash would, after its current batch; for tests and diagnostics. Returns how many. */
  async crashWorkers(): Promise<number> {
    const alive = this.threads.filter((t) => t.alive);
    await Promise.all(alive.map((t) => t.crash()));
    return alive.length;
  }

  private spawn(): WorkerThread {
    const thread = new WorkerThread({ path: this.settings.path, loadPath: this.settings.loadPath, threads: this.settings.threads }, (dead) => {
      const i = this.threads.indexOf(dead);
      if (i !== -1) this.threads.splice(i, 1);
      this.assignments.delete(dead);
      if (!this.closing) this.pump();
    });
    return thread;
  }

  private pump(): void {
    if (this.closing) return;
    // Replace dead workers only when there is work for them.
    while (this.queue.length > 0 && this.threads.length < this.settings.workers) this.threads.push(this.spawn());
    while (this.queue.length > 0) {
      const free = this.threads.filter((t) => t.alive && this.assigned(t) < InferencePool.PIPELINE_DEPTH).sort((a, b) => this.assigned(a) - this.assigned(b))[0];
      if (!free) return;
      const job = this.queue.shift()!;
      this.unwatch(job);
      this.assignments.set(free, this.assigned(free) + 1);
      const done = () => {
        if (this.assignments.has(free)) this.assignments.set(free, this.assigned(free) - 1);
        this.pump();
      };
      free.ready
        .then(() => free.run(job.feeds, job.dims, job.output))
        .then(job.resolve, job.reject)
        .finally(done);
    }
  }

  /** An aborted call's batches leave the queue at once and are never run. */
  private watch(signal: AbortSignal, job: Job): void {
    let group = this.abortGroups.get(signal);
    if (!group) {
      const created: AbortGroup = {
        jobs: new Set(),
        onAbort: () => {
          this.abortGroups.delete(signal);
          // One pass over the queue: a call may have queued tens of thousands of batches.
          let kept = 0;
          for (const job of this.queue) if (!created.jobs.has(job)) this.queue[kept++] = job;
          this.queue.length = kept;
          rejectAll([...created.jobs], abortError());
        },
      };
      group = created;
      this.abortGroups.set(signal, group);
      signal.addEventListener("abort", group.onAbort, { once: true });
    }
    group.jobs.add(job);
  }

  private unwatch(job: Job): void {
    if (!job.signal) return;
    const group = this.abortGroups.get(job.signal);
    if (!group) return;
    group.jobs.delete(job);
    if (group.jobs.size === 0) {
      job.signal.removeEventListener("abort", group.onAbort);
      this.abortGroups.delete(job.signal);
    }
  }

  private assigned(thread: WorkerThread): number {
    return this.assignments.get(thread) ?? 0;
  }
}

/** Each rejection settles a chain of promises: a thousand at a time, with the event loop's turn between. */
const REJECT_AT_ONCE = 1000;

function rejectAll(jobs: Job[], error: RerankError, from = 0): void {
  const end = Math.min(jobs.length, from + REJECT_AT_ONCE);
  for (let i = from; i < end; i++) jobs[i]!.reject(error);
  if (end < jobs.length) setImmediate(() => rejectAll(jobs, error, end));
}

function abortError(): RerankError {
  return new RerankError("ABORTED", "the call was aborted", { provider: "local" });
}
