import { join } from "node:path";
import { FIXTURE_WORDS } from "@crossrank/model-fixtures";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { TINY } from "../../../test/setup/fixture-paths.js";
import { loadTokenizer, type TokenizerHandle } from "./pair-encoder.js";
import { SlicedEncoder } from "./sliced-encoding.js";
import { TimeSlicer } from "./time-slicer.js";
import { CACHE_MAX_CHARS, CachedEncoder } from "./token-cache.js";

const prose = (from: number, words: number) =>
  Array.from({ length: words }, (_, i) => FIXTURE_WORDS[(from + i * 7) % FIXTURE_WORDS.length]).join(" ");

let tokenizer: TokenizerHandle;
beforeAll(async () => {
  tokenizer = await loadTokenizer(join(TINY.bert, "tokenizer.json"), join(TINY.bert, "tokenizer_config.json"));
});

/** A cached encoder over the fixture's tokenizer that counts the characters it hands to the tokenizer. */
function counting(maxBytes: number | false): { cached: CachedEncoder; plain: SlicedEncoder; chars: () => number } {
  let chars = 0;
  const sliced = new SlicedEncoder((text) => {
    chars += text.length;
    return tokenizer.encode(text);
  });
  return { cached: new CachedEncoder(sliced, maxBytes), plain: new SlicedEncoder(tokenizer.encode), chars: () => chars };
}

describe("token cache", () => {
  it("gives exactly the ids of tokenizing anew, for any sequence of texts and limits", async () => {
    const slicer = new TimeSlicer(undefined);
    const { cached, plain } = counting(1 << 20);
    const call = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 150 }));
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 30 }), async (calls) => {
        for (const [text, words, limit] of calls) {
          const t = prose(text * 31, words + text);
          expect(await cached.encode(t, limit, slicer)).toEqual(await plain.encode(t, limit, slicer));
        }
      }),
      { numRuns: 40 },
    );
  });

  it("tokenizes a repeated text once, and again only when a larger limit needs more of it", async () => {
    const slicer = new TimeSlicer(undefined);
    const { cached, chars } = counting(1 << 20);
    const text = prose(3, 400);
    const cut = await cached.encode(text, 20, slicer);
    expect(cut).toHaveLength(21);
    const read = chars();
    expect(read).toBeLessThan(text.length);
    expect(await cached.encode(text, 20, slicer)).toEqual(cut);
    expect(await cached.encode(text, 5, slicer)).toEqual(cut.slice(0, 6));
    expect(chars()).toBe(read);
    const whole = await cached.encode(text, Number.POSITIVE_INFINITY, slicer);
    expect(whole.slice(0, 21)).toEqual(cut);
    expect(chars()).toBe(read + text.length);
    // Tokenized whole, the text serves every limit from the cache.
    expect(await cached.encode(text, 50, slicer)).toEqual(whole.slice(0, 51));
    expect(await cached.encode(text, Number.POSITIVE_INFINITY, slicer)).toEqual(whole);
    expect(chars()).toBe(read + text.length);
  });

  it("holds at most its byte budget, dropping the least recently used texts first", async () => {
    const slicer = new TimeSlicer(undefined);
    const budget = 4096;
    const { cached, chars } = counting(budget);
    const texts = Array.from({ length: 40 }, (_, i) => prose(i * 13, 60));
    for (const t of texts) await cached.encode(t, Number.POSITIVE_INFINITY, slicer);
    const { bytes, entries } = cached.stats;
    expect(bytes).toBeLessThanOrEqual(budget);
    expect(entries).toBeGreaterThan(0);
    expect(entries).toBeLessThan(texts.length);
    // The most recent text is still there; the first one was dropped.
    const before = chars();
    await cached.encode(texts.at(-1)!, Number.POSITIVE_INFINITY, slicer);
    expect(chars()).toBe(before);
    await cached.encode(texts[0]!, Number.POSITIVE_INFINITY, slicer);
    expect(chars()).toBeGreaterThan(before);
    cached.clear();
    expect(cached.stats).toEqual({ bytes: 0, entries: 0 });
  });

  it("off (false), every call tokenizes; texts longer than CACHE_MAX_CHARS are never kept", async () => {
    const slicer = new TimeSlicer(undefined);
    const off = counting(false);
    const text = prose(1, 30);
    await off.cached.encode(text, 100, slicer);
    await off.cached.encode(text, 100, slicer);
    expect(off.chars()).toBe(2 * text.length);
    expect(off.cached.stats).toEqual({ bytes: 0, entries: 0 });

    const on = counting(1 << 24);
    const long = prose(2, Math.ceil(CACHE_MAX_CHARS / 4));
    expect(long.length).toBeGreaterThan(CACHE_MAX_CHARS);
    await on.cached.encode(long, 10, slicer);
    await on.cached.encode(long, 10, slicer);
    expect(on.cached.stats.entries).toBe(0);
  });
});
