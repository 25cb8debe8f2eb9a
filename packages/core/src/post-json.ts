import { errorBodyMessage } from "./error-body.js";
import { HttpStatusError, InvalidResponseError } from "./hosted.js";
import { DEFAULT_MAX_RESPONSE_BYTES, originBoundFetch } from "./origin-bound-fetch.js";
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
    body: JSON.stringify(options.body),
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
