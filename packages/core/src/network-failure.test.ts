import { describe, expect, it } from "vitest";
import { describeNetworkFailure } from "./network-failure.js";

const fetchFailed = (cause: unknown) => new TypeError("fetch failed", { cause });
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("describeNetworkFailure", () => {
  it("names the code from the cause chain, and how many retries it is worth", () => {
    expect(describeNetworkFailure(fetchFailed(withCode("getaddrinfo ENOTFOUND x.invalid", "ENOTFOUND")))).toEqual({
      code: "ENOTFOUND",
      reason: "the host name does not resolve (DNS)",
      maxRetries: 0,
    });
    const both = new AggregateError([withCode("connect ECONNREFUSED ::1:80", "ECONNREFUSED")], "refused");
    expect(describeNetworkFailure(fetchFailed(both))).toMatchObject({ code: "ECONNREFUSED", maxRetries: 1 });
    expect(describeNetworkFailure(fetchFailed(withCode("read ECONNRESET", "ECONNRESET")))).toMatchObject({
      code: "ECONNRESET",
      maxRetries: undefined,
    });
  });

  it("does not retry a TLS failure, and says what it was", () => {
    const tls = describeNetworkFailure(fetchFailed(withCode("certificate has expired", "CERT_HAS_EXPIRED")));
    expect(tls).toEqual({ code: "CERT_HAS_EXPIRED", reason: "TLS failed: certificate has expired", maxRetries: 0 });
  });

  it("without a code, gives the innermost message; a port fetch blocks is not retried", () => {
    expect(describeNetworkFailure(fetchFailed(new Error("bad port")))).toMatchObject({ maxRetries: 0 });
    expect(describeNetworkFailure(fetchFailed(new Error("other side closed")))).toMatchObject({
      reason: "other side closed",
    });
  });

  it("ends on a cause chain that loops", () => {
    const a: Error & { cause?: unknown } = new Error("a");
    a.cause = a;
    expect(describeNetworkFailure(a).code).toBeUndefined();
  });
});
