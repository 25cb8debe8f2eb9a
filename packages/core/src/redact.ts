/** What a configured secret is replaced with wherever crossrank writes text. */
export const REDACTED = "[redacted]";

/** Takes every configured secret out of text; `excerpt` cuts only after redacting, so none is left half-shown. */
export interface Redactor {
  redact(text: string): string;
  /** At most `max` characters of `text`, redacted. */
  excerpt(text: string, max: number): string;
  /** Whether `text` holds a secret in any of the forms `redact` removes. */
  reveals(text: string): boolean;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The forms a secret can take in what a server sends back or a message quotes: as is, JSON-escaped and URL-encoded.
 * Matching ignores case, since hosts in URLs are lower-cased and servers echo keys in either case.
 */
function forms(secret: string): string[] {
  const out = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  return [...out].filter((s) => s.length > 0);
}

/**
 * `scheme credentials`, as in an Authorization header (Bearer, Basic, Token, ApiKey, a vendor's own word): any
 * value of that shape counts, since a server may echo the credential alone.
 */
const AUTH_SCHEME = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)[ \t]+(\S(?:.*\S)?)$/s;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** `user:pass` of a Basic credential, when it is one. */
function basicParts(credential: string): string[] {
  if (!BASE64.test(credential) || credential.length % 4 === 1) return [];
  let decoded: string;
  try {
    decoded = atob(credential);
  } catch {
    return [];
  }
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(decoded, (c) => c.charCodeAt(0)));
  } catch {
    // Not UTF-8: an older client's Latin-1, as atob gave it.
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return [decoded];
  return [decoded, decoded.slice(0, colon), decoded.slice(colon + 1)];
}

/**
 * What a configured value can reach a server (and so come back) as: the value trimmed, since fetch trims header
 * values; for an `Authorization`-style value, the credential after its scheme; for Basic, `user:pass` decoded and
 * each of its parts.
 */
export function secretVariants(secret: string): string[] {
  const trimmed = secret.trim();
  const out = [secret, trimmed];
  const auth = AUTH_SCHEME.exec(trimmed);
  if (auth) {
    const credential = auth[2]!;
    out.push(credential);
    if (auth[1]!.toLowerCase() === "basic") out.push(...basicParts(credential));
  }
  return out;
}

/**
 * Every secret of any length counts: an API key, a header value, a password. A short one may take out more text
 * than it should; that is the price of never printing it.
 */
export function createRedactor(secrets: readonly string[]): Redactor {
  const all = [...new Set(secrets.filter((s) => typeof s === "string").flatMap(secretVariants).flatMap(forms))];
  // Longest first, so "Bearer sk-1" goes before "sk-1" and no fragment of it is left behind.
  all.sort((a, b) => b.length - a.length);
  const longest = all[0]?.length ?? 0;
  const pattern = all.length ? new RegExp(all.map(escapeRegExp).join("|"), "gi") : undefined;
  const redact = (text: string) => (pattern ? text.replace(pattern, REDACTED) : text);
  return {
    redact,
    excerpt(text, max) {
      if (text.length <= max) return redact(text);
      // Redact a little past the cut, so a secret straddling it is still found whole.
      const cut = redact(text.slice(0, max + longest)).slice(0, max);
      return `${cut}…`;
    },
    reveals: (text) => (pattern ? new RegExp(pattern.source, "i").test(text) : false),
  };
}

/** Longest request id kept; a longer one is not an id but something else the server put there. */
export const MAX_REQUEST_ID_LENGTH = 128;
const REQUEST_ID = /^[A-Za-z0-9._:/+=-]+$/;

/**
 * A server's request id, kept only when it looks like one (at most 128 characters of letters, digits and
 * `._:/+=-`) and holds no secret; anything else is dropped rather than copied into errors, events and spans.
 */
export function safeRequestId(value: unknown, redactor?: Redactor): string | undefined {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_REQUEST_ID_LENGTH) return undefined;
  if (!REQUEST_ID.test(value) || redactor?.reveals(value)) return undefined;
  return value;
}
