import { createReranker, isRerankError, type RerankEvent } from "@crossrank/core";
import { crashInferenceWorkers, loadedSessionCount } from "@crossrank/onnx/testing";
import { describe, expect, it } from "vitest";
import { TINY } from "./setup/fixture-paths.js";
import { failure } from "./support/failure.js";

const QUERY = "when is low tide at the harbour";
const docs = (n: number) => Array.from({ length: n }, (_, i) => `passage ${i} about the harbour, the tide and the ferry ${"and more words ".repeat(i % 7)}`);

describe("local provider on a busy server", () => {
  it("gives the same scores with two workers as with one, for concurrent calls", async () => {
    const one = await createReranker({ provider: "local", modelPath: TINY.bert, workers: 1 });
    const two = await createReranker({ provider: "local", modelPath: TINY.bert, workers: 2, threads: 1 });
    const calls = [docs(30), docs(7), docs(50), docs(1)];
    const expected = await Promise.all(calls.map((d) => one.rerank(QUERY, d)));
    const actual = await Promise.all(calls.map((d) => two.rerank(QUERY, d)));
    actual.forEach((results, c) => {
      expect(results.map((r) => r.index)).toEqual(expected[c]!.map((r) => r.index));
      results.forEach((r, i) => expect(r.score).toBeCloseTo(expected[c]![i]!.score, 6));
    });
    await one.close?.();
    await two.close?.();
  });

  it("refuses a call at once with OVERLOADED past maxQueuedPairs, and takes it once the queue drains", async () => {
    const batches: RerankEvent[] = [];
    const r = await createReranker(
      { provider: "local", modelPath: TINY.bert, maxQueuedPairs: 40, maxBatchSize: 1 },
      { onEvent: (e) => e.type === "batch" && batches.push(e) },
    );
    // Larger than the limit, taken into the empty queue; its first batch shows it was admitted.
    const first = r.rerank(QUERY, docs(300));
    while (batches.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    const refused = await failure(r.rerank(QUERY, docs(20)));
    expect(refused.code).toBe("OVERLOADED");
    expect(refused.message).toMatch(/maxQueuedPairs \(40\).*raise maxQueuedPairs/);
    expect(await first).toHaveLength(300);
    expect(await r.rerank(QUERY, docs(20))).toHaveLength(20);
    // One call larger than the limit still runs when nothing else is queued.
    expect(await r.rerank(QUERY, docs(60))).toHaveLength(60);
    await r.close?.();
  });

  it("holds each reranker of a shared model to its own maxQueuedPairs", async () => {
    const before = loadedSessionCount();
    const batches: RerankEvent[] = [];
    const shared = { provider: "local", modelPath: TINY.bert, maxBatchSize: 1, threads: 1, workers: 1 } as const;
    const strict = await createReranker({ ...shared, maxQueuedPairs: 40 });
    const onEvent = (e: RerankEvent) => void (e.type === "batch" && batches.push(e));
    const roomy = await createReranker({ ...shared, maxQueuedPairs: 10_000 }, { onEvent });
    expect(loadedSessionCount()).toBe(before + 1);
    // Hundreds of pairs queued: far past the strict limit, far under the roomy one.
    const first = roomy.rerank(QUERY, docs(400));
    while (batches.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    const refused = await failure(strict.rerank(QUERY, docs(20)));
    expect(refused.code).toBe("OVERLOADED");
    expect(refused.message).toMatch(/maxQueuedPairs \(40\)/);
    expect(await roomy.rerank(QUERY, docs(20))).toHaveLength(20);
    expect(await first).toHaveLength(400);
    await strict.close?.();
    await roomy.close?.();
  });

  it("drops an aborted call's queued batches: they are never run", async () => {
    const batches: RerankEvent[] = [];
    const r = await createReranker({ provider: "local", modelPath: TINY.bert, maxBatchSize: 1 }, { onEvent: (e) => e.type === "batch" && batches.push(e) });
    const controller = new AbortController();
    const call = r.rerank(QUERY, docs(80), { signal: controller.signal });
    while (batches.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    controller.abort();
    const atAbort = batches.length;
    expect((await failure(call)).code).toBe("ABORTED");
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Only the batches already handed to a worker (at most two per worker) finish after the abort; 80 were queued.
    expect(batches.length - atAbort).toBeLessThanOrEqual(4);
    expect(batches.length).toBeLessThan(80);
    expect(await r.rerank(QUERY, docs(3))).toHaveLength(3);
    await r.close?.();
  });

  it("fails the calls a crashed worker held with a clear error, and the next call starts a new worker", async () => {
    const r = await createReranker({ provider: "local", modelPath: TINY.bert, maxBatchSize: 1 });
    const before = await r.rerank(QUERY, docs(12));
    const batches: unknown[] = [];
    const observed = await createReranker({ provider: "local", modelPath: TINY.bert, maxBatchSize: 1 }, { onEvent: (e) => e.type === "batch" && batches.push(e) });
    // Settled from the start: a held call may fail while the workers are still being crashed.
    const held = Promise.allSettled([observed.rerank(QUERY, docs(80)), observed.rerank(QUERY, docs(40))]);
    while (batches.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(await crashInferenceWorkers()).toBeGreaterThanOrEqual(1);
    const outcomes = await held;
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    for (const o of rejected) {
      expect(isRerankError(o.reason, "PROVIDER_ERROR")).toBe(true);
      expect(o.reason.message).toMatch(/inference worker .* stopped .* the next call starts a new one/);
    }
    const after = await r.rerank(QUERY, docs(12));
    expect(after).toEqual(before);
    await r.close?.();
    await observed.close?.();
  });

  it("fails a call that runs past timeoutMs, and drops its queued batches", async () => {
    const r = await createReranker({ provider: "local", modelPath: TINY.bert, maxBatchSize: 1, timeoutMs: 5 });
    const e = await failure(r.rerank(QUERY, docs(200)));
    expect(e.code).toBe("PROVIDER_ERROR");
    expect(e.message).toMatch(/no result within 5 ms \(timeoutMs\)/);
    await r.close?.();
  });
});
