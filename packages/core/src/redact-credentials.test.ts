import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRedactor, REDACTED } from "./redact.js";

const token = fc.stringMatching(/^[A-Za-z0-9._~+/-]{4,40}$/);
const scheme = fc.constantFrom("Bearer", "bearer", "BEARER", "Token", "ApiKey", "Basic", "SSWS", "Klaviyo-API-Key");

describe("createRedactor with Authorization-style values and padded keys", () => {
  it("takes out the credential after any scheme, when a server echoes it alone", () => {
    fc.assert(
      fc.property(scheme, token, fc.constantFrom(" ", "  ", "\t"), (name, credential, gap) => {
        const r = createRedactor([`${name}${gap}${credential}`]);
        expect(r.redact(`echo=${credential};`)).toBe(`echo=${REDACTED};`);
        expect(r.reveals(credential.toUpperCase())).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("takes out a Basic credential's decoded user:pass and each part, as is, JSON-escaped and URL-encoded", () => {
    const r = createRedactor([`basic ${Buffer.from("admin-Ux:pa ss/wörd").toString("base64")}`]);
    expect(r.redact("user admin-Ux:pa ss/wörd")).toBe(`user ${REDACTED}`);
    expect(r.redact("user admin-Ux")).toBe(`user ${REDACTED}`);
    expect(r.redact(`pass ${encodeURIComponent("pa ss/wörd")}`)).toBe(`pass ${REDACTED}`);
    expect(r.redact("pass pa ss/wörd")).toBe(`pass ${REDACTED}`);
    // Encoded as Latin-1 by an older client, and not base64 at all: still taken out.
    expect(createRedactor([`Basic ${btoa("usr:pässwd")}`]).redact("pw pässwd")).toBe(`pw ${REDACTED}`);
    expect(createRedactor(["Basic not*base64"]).redact("got not*base64")).toBe(`got ${REDACTED}`);
  });

  it("takes out a key with spaces, tabs or newlines around it in its trimmed form too", () => {
    fc.assert(
      fc.property(token, fc.constantFrom(" ", "\t", "\r\n", "  \t"), fc.boolean(), (key, pad, both) => {
        const r = createRedactor([both ? `${pad}${key}${pad}` : `${key}${pad}`]);
        expect(r.redact(`token=${key}.`)).toBe(`token=${REDACTED}.`);
      }),
      { numRuns: 200 },
    );
  });
});
