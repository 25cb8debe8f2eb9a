import { createReranker, type RerankProvider, type RerankResult } from "@crossrank/core";
import { FIXTURE_WORDS, SeededRandom } from "@crossrank/model-fixtures";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TINY } from "../setup/fixture-paths.js";
import { failure } from "../support/failure.js";
import { watchEventLoop } from "../support/event-loop.js";

/**
 * Huge and odd inputs against the local engine on the generated fixtures. The event loop is watched by a 5 ms
 * interval. A gap between ticks is the main thread holding the loop, or the thread waiting for a core on a loaded
 * machine; where Linux reports the main thread's CPU time, a gap counts only the time the thread ran (to the
 * 10 ms tick), so other processes on the box do not fail the test. Unsliced tokenization of 1 MB ran for seconds.
 */
const MAX_STALL_MS = 250;
const QUERY = "which ocean has the largest whale";

const prose = (chars: number) => {
  const words: string[] = [];
  let length = 0;
  for (let i = 0; length < chars; i++) {
    const w = FIXTURE_WORDS[(i * 7) % FIXTURE_WORDS.length]!;
    words.push(w);
    length += w.length + 1;
  }
  return words.join(" ").slice(0, chars);
};
const MB = 1_000_000;

/** Words in a seeded random order: unlike `prose`, no two windows of it repeat, so none is deduplicated. */
const shuffledProse = (chars: number, seed = 1) => {
  const random = new SeededRandom(seed);
  const words: string[] = [];
  let length = 0;
  while (length < chars) {
    const w = FIXTURE_WORDS[Math.floor(random.next() * FIXTURE_WORDS.length)]!;
    words.push(w);
    length += w.length + 1;
  }
  return words.join(" ").slice(0, chars);
};


/** Every document once, in range, sorted by score, every score finite and in [0, 1]. */
function expectRanking(results: RerankResult[], documents: number): void {
  expect(results).toHaveLength(documents);
  expect(new Set(results.map((r) => r.index)).size).toBe(documents);
  for (const r of results) {
    expect(Number.isInteger(r.index) && r.index >= 0 && r.index < documents).toBe(true);
    expect(Number.isFinite(r.score) && r.score >= 0 && r.score <= 1).toBe(true);
    expect(Number.isFinite(r.rawScore)).toBe(true);
  }
  for (let i = 1; i < results.length; i++) expect(results[i - 1]!.score).toBeGreaterThanOrEqual(results[i]!.score);
}

const seen: Record<string, number | [number, number]> = {};
afterAll(() => {
  // The figures behind the bound, for the record of what this machine showed.
  console.log(`local engine: [longest hold, longest wall-clock gap] per case (ms): ${JSON.stringify(seen)}`);
});

describe("local engine: huge documents and queries", () => {
  let truncating: RerankProvider;
  let chunking: RerankProvider;
  beforeAll(async () => {
    truncating = await createReranker({ provider: "local", modelPath: TINY.bert });
    chunking = await createReranker({
      provider: "local",
      modelPath: TINY.bert,
      longDocuments: "chunk",
      maxBatchSize: 64,
      batchTokens: 4096,
    });
    await truncating.rerank(QUERY, ["warm up"]);
  });
  afterAll(async () => Promise.all([truncating.close!(), chunking.close!()]));

  it.each([1, 4])("truncate mode: a %i MB document is scored from its start, the event loop free", async (mb) => {
    const huge = prose(mb * MB);
    const { value, stallMs, wallMs } = await watchEventLoop(() => truncating.rerank(QUERY, [huge, "whale", prose(300)]));
    seen[`truncate ${mb} MB`] = [Math.round(stallMs), Math.round(wallMs)];
    expectRanking(value, 3);
    // Only the window is read: the score is that of the document's first few kilobytes.
    const [start] = await truncating.rerank(QUERY, [huge.slice(0, 20_000)]);
    expect(value.find((r) => r.index === 0)!.rawScore).toBeCloseTo(start!.rawScore, 5);
    expect(stallMs).toBeLessThan(MAX_STALL_MS);
  });

  it.each([1, 4])("chunk mode: a %i MB document is read whole in slices and scored as its best window", async (mb) => {
    const huge = prose(mb * MB);
    const { value, stallMs, wallMs } = await watchEventLoop(() => chunking.rerank(QUERY, [huge, "bread"]));
    seen[`chunk ${mb} MB`] = [Math.round(stallMs), Math.round(wallMs)];
    expectRanking(value, 2);
    // MaxP over every window: at least the score of its first window alone.
    const [first] = await truncating.rerank(QUERY, [huge.slice(0, 20_000)]);
    expect(value.find((r) => r.index === 0)!.rawScore).toBeGreaterThanOrEqual(first!.rawScore - 1e-5);
    expect(stallMs).toBeLessThan(MAX_STALL_MS);
  }, 120_000);

  it("chunk mode with a tiny window: over a hundred thousand windows of one document", async () => {
    const r = await createReranker({
      provider: "local",
      modelPath: TINY.bert,
      longDocuments: "chunk",
      maxLength: 8,
      maxBatchSize: 256,
      batchTokens: 4096,
    });
    try {
      const { value, stallMs, wallMs } = await watchEventLoop(() => r.rerank("whale", [prose(MB), "whale"]));
      seen["chunk 1 MB, window 8"] = [Math.round(stallMs), Math.round(wallMs)];
      expectRanking(value, 2);
      expect(stallMs).toBeLessThan(MAX_STALL_MS);
    } finally {
      await r.close!();
    }
  }, 120_000);

  it("a 1 MB query is cut to its share of the window, without holding the event loop", async () => {
    const hugeQuery = prose(MB);
    const { value, stallMs, wallMs } = await watchEventLoop(() => truncating.rerank(hugeQuery, ["whale", prose(200)]));
    seen["1 MB query"] = [Math.round(stallMs), Math.round(wallMs)];
    expectRanking(value, 2);
    const cut = await truncating.rerank(hugeQuery.slice(0, 20_000), ["whale", prose(200)]);
    expect(value.map((r) => r.rawScore)).toEqual(cut.map((r) => r.rawScore));
    expect(stallMs).toBeLessThan(MAX_STALL_MS);
  });

  it("10,000 tiny documents", async () => {
    const docs = Array.from({ length: 10_000 }, (_, i) => `${FIXTURE_WORDS[i % FIXTURE_WORDS.length]} ${i}`);
    const { value, stallMs, wallMs } = await watchEventLoop(() => truncating.rerank(QUERY, docs));
    seen["10k tiny documents"] = [Math.round(stallMs), Math.round(wallMs)];
    expectRanking(value, docs.length);
    expect(stallMs).toBeLessThan(MAX_STALL_MS);
  }, 120_000);
});

describe("local engine: timeouts and aborts fire while a huge input is tokenized", () => {
  it("timeoutMs rejects at its moment with PROVIDER_ERROR", async () => {
    const r = await createReranker({ provider: "local", modelPath: TINY.xlmr, longDocuments: "chunk", timeoutMs: 300 });
    try {
      await r.rerank(QUERY, ["warm up"]);
      const huge = prose(4 * MB);
      const { value: e, ms } = await watchEventLoop(() => failure(r.rerank(QUERY, [huge])));
      seen["timeoutMs 300, reject after the call began (ms)"] = Math.round(ms);
      expect(e.code).toBe("PROVIDER_ERROR");
      expect(e.message).toMatch(/no result within 300 ms \(timeoutMs\)/);
      // "Within 100 ms of its moment" on a quiet machine; loosely here.
      expect(ms).toBeLessThan(300 + MAX_STALL_MS);
    } finally {
      await r.close!();
    }
  });

  it("an abort rejects at once with ABORTED", async () => {
    const r = await createReranker({ provider: "local", modelPath: TINY.bert, longDocuments: "chunk" });
    try {
      const controller = new AbortController();
      const huge = prose(4 * MB);
      // Measured from the moment the abort was due: a held event loop delays the timer itself.
      const dueAt = performance.now() + 200;
      setTimeout(() => controller.abort(), 200);
      const e = await failure(r.rerank(QUERY, [huge], { signal: controller.signal }));
      const lateMs = performance.now() - dueAt;
      seen["abort due at 200 ms, reject after it (ms)"] = Math.round(lateMs);
      expect(e.code).toBe("ABORTED");
      expect(lateMs).toBeLessThan(MAX_STALL_MS);
      // The reranker is free for the next call.
      expect(await r.rerank(QUERY, ["whale"])).toHaveLength(1);
    } finally {
      await r.close!();
    }
  }, 60_000);
});

describe("local engine: an abort with tens of thousands of batches queued", () => {
  it("drops them all at once: the call rejects and the loop is not held", async () => {
    const batches: unknown[] = [];
    const r = await createReranker(
      { provider: "local", modelPath: TINY.bert, longDocuments: "chunk", maxLength: 16, maxBatchSize: 1 },
      { onEvent: (e) => void (e.type === "batch" && batches.push(e)) },
    );
    try {
      const controller = new AbortController();
      let atAbort = 0;
      const call = r.rerank(QUERY, [shuffledProse(MB)], { signal: controller.signal });
      const settled = call.then(
        () => undefined,
        (e: unknown) => e,
      );
      const { stallMs, wallMs } = await watchEventLoop(async () => {
        while (batches.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        // By now every batch has been padded and queued (about 0.5 s here); the workers have run a few thousand.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        atAbort = batches.length;
        controller.abort();
        await settled;
      });
      seen["abort with ~30k batches queued"] = [Math.round(stallMs), Math.round(wallMs)];
      expect((await failure(call)).code).toBe("ABORTED");
      expect(stallMs).toBeLessThan(MAX_STALL_MS);
      // The dropped batches never ran: only those the workers held (two each) finished after the abort.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(batches.length - atAbort).toBeLessThanOrEqual(4);
      expect(batches.length).toBeLessThan(30_000);
    } finally {
      await r.close!();
    }
  }, 120_000);
});

describe("local engine: odd text", () => {
  let bert: RerankProvider;
  let xlmr: RerankProvider;
  beforeAll(async () => {
    bert = await createReranker({ provider: "local", modelPath: TINY.bert });
    xlmr = await createReranker({ provider: "local", modelPath: TINY.xlmr, longDocuments: "chunk" });
  });
  afterAll(async () => Promise.all([bert.close!(), xlmr.close!()]));

  const odd: [string, string][] = [
    ["lone surrogates", "whale \ud800 ocean \udfff sea \udc00\ud800"],
    ["NUL bytes", "whale\u0000ocean\u0000\u0000 sea"],
    ["only NUL bytes", "\u0000".repeat(5000)],
    ["emoji and joiners", "🐋 whale 👩‍👩‍👧‍👦 family 🏳️‍🌈 flag 🇳🇿"],
    ["right-to-left text", "الحوت الأزرق هو أكبر حيوان في المحيط שלום עולם"],
    ["combining marks", `whale${"\u0301\u0302\u0303".repeat(3000)} ocean`],
    ["a 200 KB word", "w".repeat(200_000)],
    ["whitespace only", " \n\t ".repeat(10_000)],
    ["empty", ""],
  ];

  it.each(odd)("scores %s in both tokenizers and both modes", async (_name, text) => {
    for (const r of [bert, xlmr]) {
      const { value, stallMs } = await watchEventLoop(() => r.rerank(QUERY, [text, "whale", text]));
      expectRanking(value, 3);
      // The same text twice scores the same.
      expect(value.find((x) => x.index === 0)!.rawScore).toBe(value.find((x) => x.index === 2)!.rawScore);
      expect(stallMs).toBeLessThan(MAX_STALL_MS);
    }
    const asQuery = text.trim() === "" ? undefined : await bert.rerank(text, ["whale", "bread"]);
    if (asQuery) expectRanking(asQuery, 2);
  });
});

describe("local engine: property", () => {
  let truncating: RerankProvider;
  let chunking: RerankProvider;
  beforeAll(async () => {
    truncating = await createReranker({ provider: "local", modelPath: TINY.bert });
    const config = { provider: "local", modelPath: TINY.xlmr, longDocuments: "chunk", chunkOverlap: 3 } as const;
    chunking = await createReranker(config);
  });
  afterAll(async () => Promise.all([truncating.close!(), chunking.close!()]));

  const text = fc.oneof(
    fc.string({ unit: "binary", maxLength: 60 }),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc
      .array(fc.constantFrom(...FIXTURE_WORDS.slice(0, 40), " ", "\n", "\u0000", "🐋", "\u0301"), { maxLength: 400 })
      .map((w) => w.join(" ")),
  );

  it("any query and documents: every document ranked once, sorted, finite, inputs untouched, loop free", async () => {
    let worstStall = 0;
    await fc.assert(
      fc.asyncProperty(
        text.filter((q) => q.trim() !== ""),
        fc.array(text, { minLength: 1, maxLength: 25 }),
        fc.boolean(),
        async (query, documents, chunk) => {
          const copy = documents.slice();
          const { value, stallMs } = await watchEventLoop(() => (chunk ? chunking : truncating).rerank(query, documents));
          worstStall = Math.max(worstStall, stallMs);
          expectRanking(value, documents.length);
          expect(documents).toEqual(copy);
          expect(stallMs).toBeLessThan(MAX_STALL_MS);
        },
      ),
      { numRuns: 60 },
    );
    seen["property, worst"] = Math.round(worstStall);
  }, 90_000);
});
