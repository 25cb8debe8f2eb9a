import { isRerankError, RerankError } from "@crossrank/core";
import { describe, expect, it } from "vitest";
import { withoutToken } from "./redact-token.js";

const TOKEN = "hf_TOK\nSECRET";

describe("withoutToken", () => {
  it("takes the token out of a message, its stack and every cause, keeping a RerankError's code", () => {
    const inner = new TypeError(`Headers.append: "Bearer ${TOKEN}" is an invalid header value.`);
    const middle = new Error(`fetch failed: ${JSON.stringify(TOKEN)}`, { cause: inner });
    const outer = new RerankError("DOWNLOAD_FAILED", `could not download: ${encodeURIComponent(TOKEN)}`, {
      provider: "local",
      cause: middle,
    });
    const clean = withoutToken(outer, TOKEN) as RerankError;
    expect(isRerankError(clean, "DOWNLOAD_FAILED")).toBe(true);
    expect(clean.provider).toBe("local");
    expect(clean.message).toBe("could not download: [redacted]");
    const middleClean = clean.cause as Error;
    expect(middleClean.message).toBe('fetch failed: "[redacted]"');
    expect((middleClean.cause as Error).name).toBe("TypeError");
    const innerClean = middleClean.cause as Error;
    expect(innerClean.message).toBe('Headers.append: "Bearer [redacted]" is an invalid header value.');
    const everything = [clean, middleClean, innerClean].map((e) => `${e.message}\n${e.stack}`);
    expect(everything.join("\n")).not.toMatch(/SECRET|hf_TOK/);
  });

  it("returns an error that shows no token as it is, and anything when there is no token", () => {
    const plain = new RerankError("DOWNLOAD_FAILED", "HTTP 503 for org/model@main: config.json");
    expect(withoutToken(plain, TOKEN)).toBe(plain);
    const revealing = new Error(`x ${TOKEN}`);
    expect(withoutToken(revealing, undefined)).toBe(revealing);
  });

  it("stops at a bounded depth on a cause chain that loops", () => {
    const a = new Error(`a ${TOKEN}`);
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    const clean = withoutToken(a, TOKEN) as Error;
    expect(clean.message).toBe("a [redacted]");
    let depth = 0;
    for (let e: unknown = clean; e instanceof Error; e = e.cause) depth++;
    expect(depth).toBeLessThanOrEqual(10);
  });
});
