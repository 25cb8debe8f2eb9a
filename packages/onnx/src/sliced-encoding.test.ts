import { join } from "node:path";
import { FIXTURE_WORDS } from "@crossrank/model-fixtures";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TINY } from "../../../test/setup/fixture-paths.js";
import { loadTokenizer, type TokenizerHandle } from "./pair-encoder.js";
import { cutPoint, SlicedEncoder } from "./sliced-encoding.js";
import { TimeSlicer } from "./time-slicer.js";

const load = (dir: string) => loadTokenizer(join(dir, "tokenizer.json"), join(dir, "tokenizer_config.json"));
const prose = (words: number) =>
  Array.from({ length: words }, (_, i) => FIXTURE_WORDS[(i * 7) % FIXTURE_WORDS.length]).join(" ");

/** Counts the characters handed to the tokenizer, to show how much of a text was read. */
function counting(tokenizer: TokenizerHandle, sliceChars?: number): { encoder: SlicedEncoder; chars: () => number } {
  let chars = 0;
  const encoder = new SlicedEncoder((text) => {
    chars += text.length;
    return tokenizer.encode(text);
  }, sliceChars);
  return { encoder, chars: () => chars };
}

// Words never hold a character a normalizer may read as a space; whitespace runs start with a space (the cut points).
// A word and a run take at most 19 UTF-16 units, so every slice of 24 or more has a cut point.
const wordChar = fc.string({ unit: "binary", minLength: 1, maxLength: 1 }).filter((c) => !/\s/.test(c));
const word = fc.array(wordChar, { minLength: 1, maxLength: 8 }).map((cs) => cs.join(""));
const space = fc.constantFrom(" ", "  ", "   ", " \n", " \t ", " \r\n", " \u00a0");
const text = fc
  .array(fc.tuple(space, word), { minLength: 1, maxLength: 60 })
  .chain((parts) => fc.tuple(fc.constant(parts), fc.boolean(), fc.boolean()))
  .map(([parts, lead, trail]) => {
    const body = parts.map(([s, w]) => `${s}${w}`).join("");
    return `${lead ? body : body.trimStart()}${trail ? " " : ""}`;
  });

describe.each([
  ["BERT WordPiece", TINY.bert],
  ["XLM-R Unigram", TINY.xlmr],
] as const)("sliced tokenization (%s)", (_name, dir) => {
  it("gives exactly the ids of tokenizing the whole text, for any words and spaces, however finely cut", async () => {
    const tokenizer = await load(dir);
    await fc.assert(
      fc.asyncProperty(text, fc.integer({ min: 24, max: 64 }), async (t, sliceChars) => {
        const encoder = new SlicedEncoder(tokenizer.encode, sliceChars);
        const ids = await encoder.encode(t, Number.POSITIVE_INFINITY, new TimeSlicer(undefined));
        expect(ids).toEqual(tokenizer.encode(t));
      }),
      { numRuns: 150 },
    );
  });

  it("with its own slice length, matches the whole text on long prose and stops one token past a limit", async () => {
    const tokenizer = await load(dir);
    const long = prose(6000);
    const whole = tokenizer.encode(long);
    const { encoder, chars } = counting(tokenizer);
    expect(await encoder.encode(long, Number.POSITIVE_INFINITY, new TimeSlicer(undefined))).toEqual(whole);
    expect(chars()).toBe(long.length);

    const limited = counting(tokenizer);
    expect(await limited.encoder.encode(long, 100, new TimeSlicer(undefined))).toEqual(whole.slice(0, 101));
    // Only a prefix was read: a few slices, not the 40 KB text.
    expect(limited.chars()).toBeLessThan(long.length / 4);
  });

  it("reads a 1 MB document only as far as a 500-token window needs", async () => {
    const tokenizer = await load(dir);
    const huge = prose(150_000).slice(0, 1_000_000);
    const { encoder, chars } = counting(tokenizer);
    const ids = await encoder.encode(huge, 500, new TimeSlicer(undefined));
    expect(ids).toEqual(tokenizer.encode(huge.slice(0, 20_000)).slice(0, 501));
    expect(chars()).toBeLessThan(70_000);
  });
});

describe("cutPoint", () => {
  it("cuts before a whitespace run that follows a visible character, keeping the run whole", () => {
    expect(cutPoint("alpha  beta gamma", 0, 9)).toBe(5);
    expect(cutPoint("alpha beta\u00a0 gamma", 0, 13)).toBe(5);
    expect(cutPoint("alpha beta\ngamma delta", 0, 14)).toBe(5);
    expect(cutPoint("short", 0, 100)).toBe(5);
  });

  it("without whitespace, never separates a surrogate pair or a mark from its base, and always advances", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 2, maxLength: 80 }), fc.nat(40), (s, n) => {
        const noSpace = s.replace(/\s/g, "x");
        for (let from = 0; from < noSpace.length; ) {
          const p = cutPoint(noSpace, from, from + n + 1);
          expect(p).toBeGreaterThan(from);
          const code = noSpace.charCodeAt(p);
          const splitsPair = code >= 0xdc00 && code <= 0xdfff && /[\ud800-\udbff]/.test(noSpace[p - 1] ?? "");
          if (p - from > 1 && p < noSpace.length) expect(splitsPair).toBe(false);
          from = p;
        }
      }),
      { numRuns: 200 },
    );
    const marks = `e${"\u0301".repeat(30)}`;
    expect(cutPoint(`${"a".repeat(10)}${marks}`, 0, 20)).toBe(10);
  });
});
