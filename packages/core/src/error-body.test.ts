import { describe, expect, it } from "vitest";
import { errorBodyMessage } from "./error-body.js";

describe("errorBodyMessage", () => {
  it("takes message, then error, then detail, when a string", () => {
    expect(errorBodyMessage({ message: "m", error: "e", detail: "d" })).toBe("m");
    expect(errorBodyMessage({ message: 3, error: "e", detail: "d" })).toBe("e");
    expect(errorBodyMessage({ error: { code: 1 }, detail: "d" })).toBe("d");
  });

  it("shows a structured detail as JSON, a text body as it is, and nothing for a body without a message", () => {
    const detail = [{ loc: ["body", "query"], msg: "field required" }];
    expect(errorBodyMessage({ detail })).toBe(JSON.stringify(detail));
    expect(errorBodyMessage("upstream timed out")).toBe("upstream timed out");
    for (const body of ["", null, undefined, 42, [], { id: "x" }]) expect(errorBodyMessage(body)).toBeUndefined();
  });
});
