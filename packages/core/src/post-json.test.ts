import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BODY_SLICE, encodeInSlices } from "./origin-bound-fetch.js";
import { stringifyInSlices } from "./post-json.js";

const TAILS = ["😀", "\ud800", "\udc00x", '"\\\n\u2028', "é", "潮"];

/** Long texts with a surrogate pair, a lone surrogate or characters JSON escapes right where a slice ends. */
const longTexts = TAILS.flatMap((tail) =>
  [-2, -1, 0, 1].map((at) => `${"a".repeat(BODY_SLICE + at - 1)}${tail}${"b".repeat(70_000)}`),
);

describe("stringifyInSlices and encodeInSlices", () => {
  it("give exactly JSON.stringify's text and TextEncoder's bytes, long strings anywhere in the value", async () => {
    const signal = new AbortController().signal;
    for (const text of [...longTexts, `${"c".repeat(2 * BODY_SLICE - 1)}😀`]) {
      const short = fc.sample(fc.string({ maxLength: 20 }), { numRuns: 1, seed: text.length })[0]!;
      const value = { query: short, documents: [short, text, `${short}!`], nested: { text, n: 1 } };
      const json = await stringifyInSlices(value, signal);
      expect(json === JSON.stringify(value), `tail ${JSON.stringify(text.slice(BODY_SLICE - 4, BODY_SLICE + 2))}`).toBe(
        true,
      );
      const bytes = new Uint8Array(await (await encodeInSlices(json, signal)).arrayBuffer());
      expect(Buffer.compare(Buffer.from(bytes), Buffer.from(new TextEncoder().encode(json)))).toBe(0);
    }
  });

  it("stop with the abort's reason when the request is aborted while a long body is built", async () => {
    const controller = new AbortController();
    const building = stringifyInSlices({ documents: ["x".repeat(4 * BODY_SLICE)] }, controller.signal);
    controller.abort(new Error("caller gave up"));
    await expect(building).rejects.toThrow("caller gave up");
  });
});
