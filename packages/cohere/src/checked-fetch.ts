import { InvalidResponseError } from "@crossrank/core";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/**
 * The fields of a rerank answer crossrank reads, when `json` has them in the shape Cohere documents; else
 * undefined. Everything else the server sent (meta, warnings, unknown keys) is left out.
 */
interface RerankFields {
  id?: string;
  results: { index: number; relevance_score: number }[];
}

function rerankFields(json: unknown): RerankFields | undefined {
  if (!isObject(json) || !Array.isArray(json.results)) return undefined;
  const results: RerankFields["results"] = [];
  for (const r of json.results as unknown[]) {
    if (!isObject(r) || typeof r.index !== "number" || typeof r.relevance_score !== "number") return undefined;
    results.push({ index: r.index, relevance_score: r.relevance_score });
  }
  return { ...(typeof json.id === "string" ? { id: json.id } : {}), results };
}

/**
 * A fetch for the Cohere SDK that checks a success body before the SDK does. The SDK's response parsing writes
 * every mismatch (with the value the server sent, a key it echoed, a megabyte of text) to the console itself; so
 * the SDK is handed only the fields crossrank reads, already in shape, and a body not in shape fails here with
 * InvalidResponseError, which crossrank reports redacted and shortened.
 */
export function checkedRerankFetch(inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (!response.ok) return response;
    const text = await response.text();
    const requestId = response.headers.get("x-request-id") ?? undefined;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new InvalidResponseError("response body is not JSON", requestId, text);
    }
    const fields = rerankFields(json);
    if (!fields) throw new InvalidResponseError("response body is not Cohere's rerank response", requestId, text);
    const headers = new Headers(response.headers);
    headers.delete("content-length");
    headers.set("content-type", "application/json");
    return new Response(JSON.stringify(fields), { status: response.status, statusText: response.statusText, headers });
  };
}
