import { RerankError } from "@crossrank/core";
import { describe, expect, it } from "vitest";
import { FIRST_WINDOW } from "./batching.js";
import type { EncodedPair } from "./pair-encoder.js";
import { PairScorer } from "./pair-scorer.js";
import type { InferenceSession, RunResult } from "./session-cache.js";
import { TimeSlicer } from "./time-slicer.js";

/** A session that records each batch and answers when told to: the logit of a row is its first token id. */
function fakeSession() {
  const batches: { ids: number[]; signal: AbortSignal | undefined; answer: () => void }[] = [];
  const admitted: number[] = [];
  let released = 0;
  const session: InferenceSession = {
    inputNames: ["input_ids", "attention_mask"],
    outputNames: ["logits"],
    admit(pairs) {
      admitted.push(pairs);
      return () => released++;
    },
    run(feeds, dims, _output, signal) {
      const [rows, width] = dims as [number, number];
      return new Promise<RunResult>((resolve, reject) => {
        const first = Array.from({ length: rows }, (_, r) => Number(feeds.input_ids![r * width]));
        signal?.addEventListener("abort", () => reject(new RerankError("ABORTED", "the call was aborted")), { once: true });
        batches.push({ ids: first, signal, answer: () => resolve({ data: Float32Array.from(first), dims: [rows, 1], dtype: "float32", runMs: 0 }) });
      });
    },
  };
  return { session, batches, admitted, released: () => released };
}

const pair = (document: number, first: number, length = 5): EncodedPair => ({
  document,
  ids: [first, ...Array.from({ length: length - 1 }, (_, i) => 1000 + i)],
  typeIds: new Array(length).fill(0),
});
const limits = { batchTokens: 512, maxBatchSize: 4 };
const model = { numLabels: 1, relevantLabel: 0, activation: "sigmoid" } as never;

describe("a call's scoring run", () => {
  it("sends the first window's batches to the pool while later pairs are still being added", async () => {
    const { session, batches, admitted, released } = fakeSession();
    const run = new PairScorer(session, model, 0, "model.onnx", "m").start(limits, undefined);
    run.open(20);
    expect(admitted).toEqual([20]);
    for (let d = 0; d < FIRST_WINDOW - 1; d++) run.add(pair(d, d + 1));
    expect(batches).toHaveLength(0);
    run.add(pair(FIRST_WINDOW - 1, FIRST_WINDOW));
    // A full window goes out at once, before the rest of the call's pairs exist.
    expect(batches.map((b) => b.ids.length)).toEqual([4, 4]);
    for (let d = FIRST_WINDOW; d < 20; d++) run.add(pair(d, d + 1));
    // The next window (32) is not full yet: its pairs wait for finish().
    expect(batches).toHaveLength(2);
    const done = run.finish(new TimeSlicer(undefined));
    await new Promise((r) => setImmediate(r));
    expect(batches.flatMap((b) => b.ids).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const b of batches) b.answer();
    const scores = await done;
    expect(scores.map((s) => s.rawScore)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(run.documents).toEqual(Array.from({ length: 20 }, (_, i) => i));
    run.close();
    expect(released()).toBe(1);
  });

  it("holds every batch until the call is admitted (chunk mode counts its pairs first)", () => {
    const { session, batches, admitted } = fakeSession();
    const run = new PairScorer(session, model, 0, "model.onnx", "m").start(limits, undefined);
    for (let d = 0; d < 30; d++) run.add(pair(d % 10, (d % 10) + 1));
    expect(batches).toHaveLength(0);
    // Identical pairs count once.
    expect(run.uniquePairs).toBe(10);
    run.open(run.uniquePairs);
    expect(admitted).toEqual([10]);
    expect(batches.flatMap((b) => b.ids).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    run.close();
  });

  it("close() drops the batches still queued and gives the admission back once", async () => {
    const { session, batches, released } = fakeSession();
    const run = new PairScorer(session, model, 0, "model.onnx", "m").start(limits, undefined);
    run.open(8);
    for (let d = 0; d < 8; d++) run.add(pair(d, d + 1));
    expect(batches).toHaveLength(2);
    run.close();
    run.close();
    expect(released()).toBe(1);
    expect(batches.every((b) => b.signal?.aborted)).toBe(true);
  });

  it("a failed batch fails the call: throwIfFailed() stops tokenization with that error", async () => {
    const { session, batches } = fakeSession();
    const run = new PairScorer(session, model, 0, "model.onnx", "m").start(limits, undefined);
    run.open(8);
    for (let d = 0; d < 8; d++) run.add(pair(d, d + 1));
    // The next window's batches come back with the wrong shape: the model's fault, reported as MODEL_INVALID.
    session.run = () => Promise.resolve({ data: new Float32Array(1), dims: [1, 3], dtype: "float32", runMs: 0 });
    for (let d = 8; d < 8 + FIRST_WINDOW * 4; d++) run.add(pair(d, d + 1));
    await new Promise((r) => setImmediate(r));
    expect(() => run.throwIfFailed()).toThrow(expect.objectContaining({ code: "MODEL_INVALID" }));
    expect(batches[1]!.signal?.aborted).toBe(true);
    run.close();
  });
});
