import { createReranker, RerankError, type RerankProvider } from "@crossrank/core";
import { FIXTURE_WORDS } from "@crossrank/model-fixtures";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TINY } from "../../../test/setup/fixture-paths.js";

const words = (from: number, n: number) => Array.from({ length: n }, (_, i) => FIXTURE_WORDS[(from + i * 3) % FIXTURE_WORDS.length]).join(" ");
const QUERY = "which ocean has the largest whale";
// Empty, short, mid-length and past the fixture's 64-token window.
const POOL = [
  "",
  words(1, 2),
  words(5, 9),
  words(9, 20),
  words(14, 33),
  words(20, 45),
  words(2, 58),
  words(30, 80),
  words(40, 140),
  words(7, 5),
  words(11, 27),
  words(50, 61),
];

async function solo(r: RerankProvider, texts: readonly string[]): Promise<Map<string, number>> {
  const scores = new Map<string, number>();
  for (const t of texts) scores.set(t, (await r.rerank(QUERY, [t]))[0]!.rawScore);
  return scores;
}

const failure = async (p: Promise<unknown>): Promise<RerankError> => {
  try {
    await p;
  } catch (error) {
    return error as RerankError;
  }
  throw new Error("expected the call to fail");
};

describe("local provider: pipelined tokenization and the token cache", () => {
  const rerankers: RerankProvider[] = [];
  const make = async (config: Record<string, unknown>) => {
    const r = await createReranker({ provider: "local", modelPath: TINY.bert, ...config } as never);
    rerankers.push(r);
    return r;
  };
  afterAll(async () => Promise.all(rerankers.map((r) => r.close?.())));

  let truncating: RerankProvider;
  let chunking: RerankProvider;
  let alone: { truncate: Map<string, number>; chunk: Map<string, number> };
  beforeAll(async () => {
    truncating = await make({});
    chunking = await make({ longDocuments: "chunk", tokenCacheBytes: 4096 });
    alone = { truncate: await solo(truncating, POOL), chunk: await solo(chunking, POOL) };
  });

  it("scores every document once, in its place, exactly as it scores alone (fp32), across window boundaries", async () => {
    const calls = fc.tuple(fc.array(fc.integer({ min: 0, max: POOL.length - 1 }), { maxLength: 70 }), fc.boolean());
    await fc.assert(
      fc.asyncProperty(calls, async ([picks, chunk]) => {
        const docs = picks.map((p) => POOL[p]!);
        const results = await (chunk ? chunking : truncating).rerank(QUERY, docs);
        expect(results.map((r) => r.index).sort((a, b) => a - b)).toEqual(docs.map((_, i) => i));
        const expected = chunk ? alone.chunk : alone.truncate;
        for (const r of results) expect(r.rawScore).toBe(expected.get(docs[r.index]!));
      }),
      { numRuns: 16 },
    );
  });

  it("gives bit-identical scores cold, warm and with tokenCache: false, for fp32 and q8", async () => {
    const docs = Array.from({ length: 100 }, (_, i) => words(i * 17, 10 + ((i * 37) % 70)));
    for (const dtype of ["fp32", "q8"] as const) {
      const cached = await make({ dtype });
      const uncached = await make({ dtype, tokenCache: false });
      const raw = async (r: RerankProvider) => (await r.rerank(QUERY, docs)).sort((a, b) => a.index - b.index).map((x) => x.rawScore);
      const cold = await raw(cached);
      const warm = await raw(cached);
      expect(warm).toEqual(cold);
      expect(await raw(uncached)).toEqual(cold);
    }
  });

  it("takes tokenCache and tokenCacheBytes, and names a wrong one", async () => {
    await expect(make({ tokenCacheBytes: 0 })).rejects.toMatchObject({ code: "INVALID_CONFIG", message: expect.stringMatching(/tokenCacheBytes/) });
    await expect(make({ tokenCache: "no" })).rejects.toMatchObject({ code: "INVALID_CONFIG", message: expect.stringMatching(/tokenCache/) });
    const r = await make({ tokenCache: false, tokenCacheBytes: 1024 });
    expect(await r.rerank(QUERY, [POOL[3]!])).toHaveLength(1);
  });

  it("a timeout or an abort mid-call fires on time, drops the queued batches and gives back the call's admission", async () => {
    // maxQueuedPairs equal to the big call: if its pairs stayed admitted, the next call would be OVERLOADED.
    const big = Array.from({ length: 3000 }, (_, i) => words(i, 40 + (i % 30)));
    const timed = await make({ timeoutMs: 60, maxQueuedPairs: 3000 });
    let started = performance.now();
    const late = await failure(timed.rerank(QUERY, big));
    expect(late).toMatchObject({ code: "PROVIDER_ERROR", message: expect.stringMatching(/no result within 60 ms/) });
    expect(performance.now() - started).toBeLessThan(1000);
    expect((await timed.rerank(QUERY, POOL.slice(1, 5))).map((r) => r.index).sort()).toEqual([0, 1, 2, 3]);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 40);
    started = performance.now();
    const aborted = await failure(truncating.rerank(QUERY, big, { signal: controller.signal }));
    expect(aborted).toMatchObject({ code: "ABORTED" });
    expect(performance.now() - started).toBeLessThan(1000);
    expect((await truncating.rerank(QUERY, [POOL[4]!]))[0]!.rawScore).toBe(alone.truncate.get(POOL[4]!));
  });
});
