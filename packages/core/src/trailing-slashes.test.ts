import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { trimTrailingSlashes } from "./trailing-slashes.js";

describe("trimTrailingSlashes", () => {
  it("removes exactly the slashes that end the text", () => {
    expect(trimTrailingSlashes("https://api.example.com/")).toBe("https://api.example.com");
    expect(trimTrailingSlashes("https://api.example.com/v2//")).toBe("https://api.example.com/v2");
    expect(trimTrailingSlashes("https://api.example.com/v2")).toBe("https://api.example.com/v2");
    expect(trimTrailingSlashes("///")).toBe("");
    fc.assert(
      fc.property(fc.array(fc.constantFrom("/", "a", ":", "?"), { maxLength: 40 }), (parts) => {
        const text = parts.join("");
        const trimmed = trimTrailingSlashes(text);
        expect(trimmed.endsWith("/")).toBe(false);
        expect(text.startsWith(trimmed)).toBe(true);
        expect(/^\/*$/.test(text.slice(trimmed.length))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("takes linear time on a long run of slashes that does not end the text", () => {
    const long = `http://127.0.0.1/${"/".repeat(200_000)}x`;
    const started = performance.now();
    expect(trimTrailingSlashes(long)).toBe(long);
    expect(trimTrailingSlashes(`${long}${"/".repeat(200_000)}`)).toBe(long);
    // The pattern this replaces takes seconds here; a loop over 400,000 characters takes about a millisecond.
    expect(performance.now() - started).toBeLessThan(50);
  });
});
