import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRedactor, safeRequestId } from "./redact.js";

describe("createRedactor", () => {
  it("takes out every secret of any length, in any case, as is, JSON-escaped and URL-encoded", () => {
    const r = createRedactor(["k3y", 'sk-"quoted"/x', "Bearer sk-long-secret"]);
    expect(r.redact("key K3Y and k3y")).toBe("key [redacted] and [redacted]");
    expect(r.redact(JSON.stringify({ echo: 'sk-"quoted"/x' }))).not.toContain("quoted");
    expect(r.redact(`?key=${encodeURIComponent('sk-"quoted"/x')}`)).not.toContain("quoted");
    expect(r.redact("auth: Bearer sk-long-secret")).toBe("auth: [redacted]");
  });

  it("cuts only after redacting: no piece of a secret is left where the excerpt ends", () => {
    const secret = "sk-test-0123456789abcdef";
    const r = createRedactor([secret]);
    fc.assert(
      fc.property(fc.nat({ max: 60 }), fc.nat({ max: 60 }), (before, max) => {
        const out = r.excerpt(`${"x".repeat(before)}${secret}${"y".repeat(10)}`, max);
        for (let i = 0; i + 6 <= secret.length; i++) expect(out).not.toContain(secret.slice(i, i + 6));
        expect(out.replace(/…$/, "").length).toBeLessThanOrEqual(max);
      }),
      { numRuns: 200 },
    );
  });
});

describe("safeRequestId", () => {
  it("keeps a plain id, drops a long one, one with odd characters, and one that holds a secret", () => {
    const r = createRedactor(["sk-secret-1"]);
    expect(safeRequestId("req_01HZX-abc.123", r)).toBe("req_01HZX-abc.123");
    expect(safeRequestId("8a1b2c3d4e5f6789-AMS", r)).toBe("8a1b2c3d4e5f6789-AMS");
    expect(safeRequestId("a".repeat(129), r)).toBeUndefined();
    expect(safeRequestId("id\nInjected: yes", r)).toBeUndefined();
    expect(safeRequestId("<script>", r)).toBeUndefined();
    expect(safeRequestId("req-SK-SECRET-1", r)).toBeUndefined();
    expect(safeRequestId(42, r)).toBeUndefined();
  });
});
