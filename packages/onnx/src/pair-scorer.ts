import { reportBatch, RerankError, throwIfAborted, type DocumentScore } from "@crossrank/core";
import { PairDeduper, padBatch, WindowedPlanner, type BatchLimits } from "./batching.js";
import type { ModelConfig } from "./model-config.js";
import type { EncodedPair } from "./pair-encoder.js";
import { scoreLogits } from "./scoring.js";
import type { InferenceSession } from "./session-cache.js";
import type { TimeSlicer } from "./time-slicer.js";

const P = "local";

/** Resolves with the work, or rejects with ABORTED as soon as the signal fires (the work runs on, unheard). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      try {
        throwIfAborted(signal, P);
      } catch (error) {
        reject(error);
      }
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Runs a model's pairs through its session in length-sorted batches; identical pairs are scored once. */
export class PairScorer {
  private readonly output: string;
  private readonly wantsTokenTypes: boolean;

  constructor(
    readonly session: InferenceSession,
    private readonly model: ModelConfig,
    private readonly padId: number,
    private readonly file: string,
    private readonly name: string,
  ) {
    this.output = session.outputNames.includes("logits") ? "logits" : session.outputNames[0]!;
    this.wantsTokenTypes = session.inputNames.includes("token_type_ids");
  }

  /** A call's scoring, fed pair by pair while its documents tokenize (see ScoringRun). */
  start(limits: BatchLimits, signal: AbortSignal | undefined): ScoringRun {
    return new ScoringRun(this, limits, signal);
  }

  async runBatch(unique: readonly EncodedPair[], rows: number[], scores: DocumentScore[], signal: AbortSignal): Promise<void> {
    const { width, inputIds, attentionMask, tokenTypeIds } = padBatch(unique, rows, this.padId);
    const feeds: Record<string, BigInt64Array> = { input_ids: inputIds, attention_mask: attentionMask };
    if (this.wantsTokenTypes) feeds.token_type_ids = tokenTypeIds;
    const logits = await this.session.run(feeds, [rows.length, width], this.output, signal);
    reportBatch({
      provider: P,
      model: this.name,
      pairs: rows.length,
      tokens: rows.reduce((sum, u) => sum + unique[u]!.ids.length, 0),
      paddedTokens: rows.length * width,
      // The run itself: a call's batches queue ahead of the workers, so wall time since queueing includes waiting.
      durationMs: logits.runMs,
    });
    const labels = this.model.numLabels;
    const { dtype, dims } = logits;
    if (dtype !== "float32" || dims.length !== 2 || dims[0] !== rows.length || dims[1] !== labels) {
      throw new RerankError(
        "MODEL_INVALID",
        `${this.file} returned ${this.output} of type ${dtype} and shape [${dims.join(", ")}]; expected float32 ` +
          `[${rows.length}, ${labels}] (config.json declares ${labels} label${labels === 1 ? "" : "s"})`,
        { provider: P },
      );
    }
    const data = logits.data;
    rows.forEach((u, row) => (scores[u] = scoreLogits(data, row, this.model)));
  }
}

/** How long one turn of the event loop may spend padding and queueing a call's batches. */
const SUBMIT_SLICE_MS = 5;

/**
 * One call's pairs on their way to the pool. Pairs are added as they are laid out; once the call is admitted
 * (`open`, counted against `maxQueuedPairs`), every window of pairs the call fills goes to the pool at once, so
 * the workers run the first batches while the main thread tokenizes the rest. The first failed batch drops the
 * call's other queued batches; `close` gives the admission back and drops whatever is still queued.
 */
export class ScoringRun {
  /** Each added pair's document, in order. */
  readonly documents: number[] = [];
  private readonly deduper = new PairDeduper();
  private readonly planner: WindowedPlanner;
  private readonly scores: DocumentScore[] = [];
  private readonly runs: Promise<void>[] = [];
  /** Batches planned so far; those from `submitted` on are not yet with the pool. */
  private readonly planned: number[][] = [];
  private submitted = 0;
  private readonly failed = new AbortController();
  private readonly batchSignal: AbortSignal;
  private readonly firstFailure: Promise<never>;
  private failure: { error: unknown } | undefined;
  private readonly onFailure: (error: unknown) => void;
  private release: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly scorer: PairScorer,
    limits: BatchLimits,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.planner = new WindowedPlanner(this.deduper.unique, limits);
    this.batchSignal = signal ? AbortSignal.any([signal, this.failed.signal]) : this.failed.signal;
    let fail: (error: unknown) => void = () => undefined;
    this.firstFailure = new Promise<never>((_, reject) => (fail = reject));
    this.firstFailure.catch(() => undefined);
    this.onFailure = (error: unknown) => {
      this.failure ??= { error };
      this.failed.abort();
      fail(error);
    };
    // The call rejects the moment its signal fires, while its tokenization stops only at its next time slice: its
    // admission goes back at once, so a caller's next call is not refused for pairs that will never run.
    this.onAbort = () => this.close();
    signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  private readonly onAbort: () => void;

  /** Distinct pairs so far. */
  get uniquePairs(): number {
    return this.deduper.unique.length;
  }

  /** Reserves room for `pairs` in the pool (OVERLOADED past the limit) and sends the windows filled so far. */
  open(pairs: number): void {
    throwIfAborted(this.signal, P);
    this.release = this.scorer.session.admit(pairs);
    this.dispatch(false, SUBMIT_SLICE_MS);
  }

  add(pair: EncodedPair): void {
    this.documents.push(pair.document);
    this.deduper.add(pair);
    if (this.release) this.dispatch(false, SUBMIT_SLICE_MS);
  }

  /** Throws the first batch's failure, so that tokenization stops as soon as the call has failed. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Sends the last windows and waits for every batch: each added pair's score, in order. */
  async finish(slicer: TimeSlicer): Promise<DocumentScore[]> {
    this.dispatch(true, SUBMIT_SLICE_MS);
    // A long document in chunk mode makes tens of thousands of batches: padding and queueing them all at once would
    // hold the event loop for hundreds of milliseconds, so they go to the pool a slice at a time.
    while (this.submitted < this.planned.length && !this.failed.signal.aborted) {
      await slicer.pause();
      this.dispatch(false, SUBMIT_SLICE_MS);
    }
    await slicer.step();
    await untilAborted(Promise.race([Promise.all(this.runs), this.firstFailure]), this.signal);
    return this.deduper.slot.map((u) => this.scores[u]!);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal?.removeEventListener("abort", this.onAbort);
    // Batches still queued belong to a call that has ended (failed or aborted): drop them.
    this.failed.abort();
    this.release?.();
  }

  /** Plans the windows filled so far and sends planned batches to the pool for at most `sliceMs`. */
  private dispatch(final: boolean, sliceMs: number): void {
    if (this.failed.signal.aborted) return;
    for (const rows of this.planner.take(final)) this.planned.push(rows);
    const until = performance.now() + sliceMs;
    while (this.submitted < this.planned.length && !this.failed.signal.aborted && performance.now() < until) {
      const rows = this.planned[this.submitted++]!;
      this.runs.push(this.scorer.runBatch(this.deduper.unique, rows, this.scores, this.batchSignal).catch(this.onFailure));
    }
  }
}
