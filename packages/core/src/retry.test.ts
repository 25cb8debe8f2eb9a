import { describe, expect, it } from "vitest";
import { MAX_RETRY_AFTER_MS, parseRetryAfter, RetryAfterTooLongError, TransientError, withRetries } from "./retry.js";

const policy = { retries: 5, minTimeout: 5, maxTimeout: 50 };
const rateLimited = (retryAfterMs: number) => new TransientError("HTTP 429", { status: 429, retryAfterMs });

describe("withRetries", () => {
  it("waits a Retry-After in place of the backoff, then succeeds", async () => {
    let n = 0;
    const started = performance.now();
    const value = await withRetries(async () => (++n === 1 ? Promise.reject(rateLimited(300)) : "ok"), policy);
    expect(value).toBe("ok");
    expect(n).toBe(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("ends at once, without waiting, for a Retry-After past the cap or past what is left of maxWaitMs", async () => {
    for (const [asked, maxWaitMs] of [
      [MAX_RETRY_AFTER_MS + 1, undefined],
      [3000, 1000],
    ] as const) {
      let n = 0;
      const started = performance.now();
      const error = await withRetries(() => (n++, Promise.reject(rateLimited(asked))), { ...policy, maxWaitMs }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RetryAfterTooLongError);
      expect((error as RetryAfterTooLongError).details.retryAfterMs).toBe(asked);
      expect(n).toBe(1);
      expect(performance.now() - started).toBeLessThan(100);
    }
  });

  it("rejects with the signal's abort as soon as it fires during a wait", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    const error = await withRetries(() => Promise.reject(rateLimited(5000)), policy, controller.signal).catch(
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    expect((error as Error).name).toBe("AbortError");
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(400);
  });

  it("keeps all waits together within maxWaitMs, whatever the backoff asks", async () => {
    let n = 0;
    const started = performance.now();
    const error = await withRetries(() => (n++, Promise.reject(new TransientError("HTTP 503"))), {
      retries: 50,
      minTimeout: 100,
      maxTimeout: 1000,
      maxWaitMs: 250,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(performance.now() - started).toBeLessThan(600);
    expect(n).toBeGreaterThan(1);
    expect(n).toBeLessThan(5);
  });

  it("makes no more retries than the failure is worth (details.maxRetries), nor than the policy allows", async () => {
    let n = 0;
    await withRetries(() => (n++, Promise.reject(new TransientError("refused", { maxRetries: 1 }))), policy).catch(
      () => undefined,
    );
    expect(n).toBe(2);
    n = 0;
    await withRetries(() => (n++, Promise.reject(new TransientError("reset"))), { ...policy, retries: 2 }).catch(
      () => undefined,
    );
    expect(n).toBe(3);
    n = 0;
    await withRetries(() => (n++, Promise.reject(new Error("not transient"))), policy).catch(() => undefined);
    expect(n).toBe(1);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates; a number too large to hold is a pause no one waits for", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter("-3")).toBe(0);
    expect(parseRetryAfter("1e999")).toBe(Infinity);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
  });
});
