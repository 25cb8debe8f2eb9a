/**
 * The message in a rerank API's error body: its `message`, `error` or `detail` string; a structured `detail`
 * (FastAPI's validation errors) as JSON; a body that is plain text as it is. Never shortened here: the hosted
 * transport redacts it first and shortens it after, so no secret the server echoed is left half-shown.
 */
export function errorBodyMessage(body: unknown): string | undefined {
  if (typeof body === "string") return body || undefined;
  if (!body || typeof body !== "object") return undefined;
  const { message, error, detail } = body as { message?: unknown; error?: unknown; detail?: unknown };
  for (const value of [message, error, detail]) if (typeof value === "string") return value;
  return detail === undefined ? undefined : JSON.stringify(detail);
}
