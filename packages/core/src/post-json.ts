import { randomUUID } from "node:crypto";
import { errorBodyMessage } from "./error-body.js";
import { HttpStatusError, InvalidResponseError } from "./hosted.js";
import { BODY_SLICE, DEFAULT_MAX_RESPONSE_BYTES, originBoundFetch, sliceEnd, yieldTurn } from "./origin-bound-fetch.js";
import { parseRetryAfter } from "./retry.js";

const REQUEST_ID_HEADERS = ["x-request-id", "request-id", "x-amzn-requestid", "cf-ray"];

/** The message of an API's error body, else the text itself (see errorBodyMessage). */
function errorMessage(text: string): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: the text itself is the message.
  }
  return errorBodyMessage(json) ?? (text || "no message");
}

/** Strings longer than this are left out of the one JSON.stringify call and quoted on their own, in slices. */
const LONG_STRING = 64 * 1024;

/** A JSON string literal of `text`, quoted a slice at a time with the event loop given a turn between slices. */
async function quoteInSlices(text: string, signal: AbortSignal): Promise<string> {
  let out = '"';
  for (let start = 0; start < text.length; ) {
    const end = sliceEnd(text, start + BODY_SLICE);
    out += JSON.stringify(text.slice(start, end)).slice(1, -1);
    start = end;
    await yieldTurn(signal);
  }
  return `${out}"`;
}

/**
 * JSON.stringify(value), without holding the event loop for a huge query or document: each long string is put in
 * as a marker no text can hold (a random id) and quoted on its own, in slices, then spliced in where its marker is.
 */
export async function stringifyInSlices(value: unknown, signal: AbortSignal): Promise<string> {
  const long: string[] = [];
  const marker = `\u0000crossrank-${randomUUID()}:`;
  const skeleton = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "string" && v.length > LONG_STRING ? `${marker}${long.push(v) - 1}` : v,
  );
  if (long.length === 0) return skeleton;
  const quotedMarker = JSON.stringify(marker).slice(0, -1);
  let out = "";
  let from = 0;
  for (let i = 0; i < long.length; i++) {
    const literal = `${quotedMarker}${i}"`;
    const at = skeleton.indexOf(literal, from);
    out += skeleton.slice(from, at) + (await quoteInSlices(long[i]!, signal));
    from = at + literal.length;
  }
  return out + skeleton.slice(from);
}

/**
 * One JSON POST to a rerank API, for providers that speak HTTP directly: a non-2xx answer becomes an
 * HttpStatusError (with the API's message, request id and Retry-After), a body that is not JSON an
 * InvalidResponseError. The request goes only to the endpoint's origin (redirects elsewhere are refused) and at
 * most `maxResponseBytes` of the answer are read (originBoundFetch). defineHostedBackend decides what is retried.
 */
export async function postJson(
  endpoint: string,
  options: { headers: Record<string, string>; body: unknown; signal: AbortSignal; maxResponseBytes?: number },
): Promise<{ json: unknown; text: string; requestId: string | undefined }> {
  const boundFetch = originBoundFetch(new URL(endpoint).origin, options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
  const response = await boundFetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", ...options.headers },
    body: await stringifyInSlices(options.body, options.signal),
    signal: options.signal,
  });
  const requestId = REQUEST_ID_HEADERS.map((h) => response.headers.get(h)).find((v) => v) ?? undefined;
  const text = await response.text();
  if (!response.ok)
    throw new HttpStatusError(
      response.status,
      errorMessage(text),
      requestId,
      parseRetryAfter(response.headers.get("retry-after")),
    );
  try {
    return { json: JSON.parse(text), text, requestId };
  } catch {
    throw new InvalidResponseError("response body is not JSON", requestId, text);
  }
}
