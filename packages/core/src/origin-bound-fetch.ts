import { RerankError } from "./errors.js";

/**
 * Most bytes of one hosted response crossrank reads (after decompression); past it the body is not read further.
 * A rerank answer for 1,000 documents is about 50 KB, so this is some forty times that; it is also what bounds
 * JSON.parse of a hostile body, which for 2 MiB of small objects holds the event loop some 30-50 ms.
 * CROSSRANK_MAX_RESPONSE_BYTES overrides it (a server that echoes long documents back may need more).
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;

/** Same-origin redirects followed for one request (a load balancer moving a path); more is a loop. */
export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** The response cap in effect: CROSSRANK_MAX_RESPONSE_BYTES when it is a positive integer, else the default. */
export function maxResponseBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CROSSRANK_MAX_RESPONSE_BYTES?.trim();
  if (!raw) return DEFAULT_MAX_RESPONSE_BYTES;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new RerankError(
      "INVALID_CONFIG",
      `CROSSRANK_MAX_RESPONSE_BYTES must be a positive whole number of bytes, got ${JSON.stringify(raw.slice(0, 20))}`,
    );
  }
  return n;
}

/** A server sent a redirect to an origin other than the configured one; it was not followed. */
export class CrossOriginRedirectError extends Error {
  override readonly name = "CrossOriginRedirectError";
  constructor(
    readonly from: string,
    readonly to: string,
    readonly status: number,
  ) {
    super(`the server at ${from} redirected (HTTP ${status}) to ${to}, another origin`);
  }
}

/** A request that would leave the configured origin, or redirects past MAX_REDIRECTS. */
export class RedirectRefusedError extends Error {
  override readonly name = "RedirectRefusedError";
}

/** A response body longer than the cap; reading stopped there. */
export class ResponseTooLargeError extends Error {
  override readonly name = "ResponseTooLargeError";
  constructor(readonly limit: number) {
    super(`response body is larger than the ${limit}-byte cap (CROSSRANK_MAX_RESPONSE_BYTES)`);
  }
}

/**
 * An HTTP(S) base URL from the config, as a URL; one with credentials in it (`https://user:pass@host`) is refused,
 * without repeating them: credentials in a URL end up in logs and messages, and fetch will not send them anyway.
 */
export function configuredUrl(value: string, provider: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RerankError("INVALID_CONFIG", `config.${field} of the ${provider} provider is not a valid URL`, {
      provider,
    });
  }
  if (url.username || url.password) {
    throw new RerankError(
      "INVALID_CONFIG",
      `config.${field} of the ${provider} provider has credentials in it (user:password@ before the host ` +
        `${url.host}); remove them and pass the key as apiKey or in headers (e.g. { authorization: "Basic …" })`,
      { provider },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RerankError(
      "INVALID_CONFIG",
      `config.${field} of the ${provider} provider must be an http: or https: URL, got ${url.protocol}`,
      { provider },
    );
  }
  return url;
}

/** Most UTF-16 units of a request body encoded at once: a few milliseconds of work. */
export const BODY_SLICE = 1 << 20;

/** Where to end a slice of `text` at or before `end` without cutting a surrogate pair in two. */
export function sliceEnd(text: string, end: number): number {
  if (end >= text.length) return text.length;
  const unit = text.charCodeAt(end - 1);
  return unit >= 0xd800 && unit <= 0xdbff ? end - 1 : end;
}

/** Lets timers and I/O run between slices of work, and stops there if the request was aborted meanwhile. */
export async function yieldTurn(signal: AbortSignal | null | undefined): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  signal?.throwIfAborted();
}

/**
 * `text` as UTF-8, a slice at a time with the event loop given a turn between slices: fetch would encode a
 * string body in one go, which for 16 MB holds the loop for tens of milliseconds. A Blob of the slices, not one
 * array: fetch sends a Blob a piece at a time, where one 16 MB array is copied and written in one go.
 */
export async function encodeInSlices(text: string, signal?: AbortSignal | null): Promise<Blob> {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (let start = 0; start < text.length; ) {
    const end = sliceEnd(text, start + BODY_SLICE);
    parts.push(encoder.encode(text.slice(start, end)));
    start = end;
    if (start < text.length) await yieldTurn(signal);
  }
  return new Blob(parts);
}

/** `init` with a long string body already encoded (in slices), and the content type fetch would have given it. */
async function withEncodedBody(init: RequestInit | undefined): Promise<RequestInit | undefined> {
  if (typeof init?.body !== "string" || init.body.length <= BODY_SLICE) return init;
  const headers = new Headers(init.headers);
  if (!headers.has("content-type")) headers.set("content-type", "text/plain;charset=UTF-8");
  return { ...init, headers, body: await encodeInSlices(init.body, init.signal) };
}

function requestUrl(input: string | URL | Request): string {
  if (typeof input === "string") return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

async function readCapped(response: Response, limit: number): Promise<Uint8Array | null> {
  if (NULL_BODY_STATUSES.has(response.status) || !response.body) return null;
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body.cancel().catch(() => undefined);
    throw new ResponseTooLargeError(limit);
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(limit);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

/**
 * A fetch for one hosted API that never sends a request (and so never its key or headers) anywhere but `origin`:
 * a request to another origin is refused, a redirect is followed by hand only within the origin (at most
 * MAX_REDIRECTS, same method and body), and a redirect elsewhere fails with CrossOriginRedirectError. fetch itself
 * drops only `Authorization` on a cross-origin redirect; keys in `x-api-key` and the like would follow it.
 * The body is read whole before the response is returned, at most `maxResponseBytes` of it, so an endless or
 * huge body fails with ResponseTooLargeError instead of filling memory; the request's signal bounds the reading.
 * A long string body is encoded in slices (encodeInSlices) before it is sent.
 * Given to the vendor SDKs as their `fetch` too, so the same rules hold for them.
 */
export function originBoundFetch(origin: string, maxResponseBytes: number = DEFAULT_MAX_RESPONSE_BYTES): typeof fetch {
  const allowed = new URL(origin).origin;
  return async (input, givenInit) => {
    let url = requestUrl(input as string | URL | Request);
    if (new URL(url).origin !== allowed) {
      throw new RedirectRefusedError(`a request to ${new URL(url).origin} was refused: only ${allowed} is configured`);
    }
    const init = await withEncodedBody(givenInit);
    for (let hop = 0; ; hop++) {
      const response = await fetch(input instanceof Request && hop === 0 ? input : url, {
        ...init,
        redirect: "manual",
      });
      if (REDIRECT_STATUSES.has(response.status) && response.headers.has("location")) {
        await response.body?.cancel().catch(() => undefined);
        let target: URL;
        try {
          target = new URL(response.headers.get("location")!, url);
        } catch {
          throw new RedirectRefusedError(
            `the server at ${allowed} redirected (HTTP ${response.status}) to a Location that is not a URL`,
          );
        }
        if (target.origin !== allowed) throw new CrossOriginRedirectError(allowed, target.origin, response.status);
        if (hop + 1 > MAX_REDIRECTS)
          throw new RedirectRefusedError(`the server at ${allowed} redirected more than ${MAX_REDIRECTS} times`);
        if (init?.body instanceof ReadableStream) {
          throw new RedirectRefusedError(
            `the server at ${allowed} redirected (HTTP ${response.status}) a request whose body cannot be sent twice`,
          );
        }
        url = target.href;
        continue;
      }
      const body = await readCapped(response, maxResponseBytes);
      const headers = new Headers(response.headers);
      // The body below is the decoded bytes: the transfer headers of the original no longer describe it.
      headers.delete("content-encoding");
      headers.delete("content-length");
      if (body) headers.set("content-length", String(body.byteLength));
      return new Response(body, { status: response.status, statusText: response.statusText, headers });
    }
  };
}
