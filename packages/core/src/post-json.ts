import { HttpStatusError, InvalidResponseError } from "./hosted.js";
import { parseRetryAfter } from "./retry.js";

const REQUEST_ID_HEADERS = ["x-request-id", "request-id", "x-amzn-requestid", "cf-ray"];

/** The message of an API's error body: `message`, `error`, or `detail` (string), else the text itself. */
function errorMessage(text: string): string {
  try {
    const json = JSON.parse(text) as { message?: unknown; error?: unknown; detail?: unknown };
    for (const v of [json.message, json.error, json.detail]) if (typeof v === "string") return v;
  } catch {
    // Not JSON: the text itself is the message.
  }
  return text.slice(0, 300) || "no message";
}

/**
 * One JSON POST to a rerank API, for providers that speak HTTP directly: a non-2xx answer becomes an
 * HttpStatusError (with the API's message, request id and Retry-After), a body that is not JSON an
 * InvalidResponseError. defineHostedBackend decides what is retried.
 */
export async function postJson(endpoint: string, options: { headers: Record<string, string>; body: unknown; signal: AbortSignal }): Promise<{ json: unknown; text: string; requestId: string | undefined }> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", ...options.headers },
    body: JSON.stringify(options.body),
    signal: options.signal,
  });
  const requestId = REQUEST_ID_HEADERS.map((h) => response.headers.get(h)).find((v) => v) ?? undefined;
  const text = await response.text();
  if (!response.ok) throw new HttpStatusError(response.status, errorMessage(text), requestId, parseRetryAfter(response.headers.get("retry-after")));
  try {
    return { json: JSON.parse(text), text, requestId };
  } catch {
    throw new InvalidResponseError(`response body is not JSON: ${JSON.stringify(text.slice(0, 80))}`, requestId);
  }
}
