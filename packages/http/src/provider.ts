import {
  defineHostedBackend,
  defineProvider,
  limitsFromConfig,
  httpConfigSchema,
  HttpStatusError,
  InvalidResponseError,
  parseProviderConfig,
  parseRetryAfter,
  type HttpRerankerConfig,
  type RerankProvider,
} from "@crossrank/core";
import { cohereWire, teiWire } from "./wire.js";

const REQUEST_ID_HEADERS = ["x-request-id", "request-id", "x-amzn-requestid"];

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
 * The "http" provider: a self-hosted rerank server, one replica or many behind a load balancer. `api: "cohere"`
 * speaks the Cohere-compatible POST /v1/rerank; `api: "tei"` speaks text-embeddings-inference's POST /rerank.
 */
export async function createProvider(input: HttpRerankerConfig): Promise<RerankProvider> {
  const config = parseProviderConfig(httpConfigSchema, input, "http");
  const wire = config.api === "tei" ? teiWire : cohereWire;
  const base = config.url.replace(/\/+$/, "");
  const endpoint = base.endsWith(wire.path) ? base : `${base}${wire.path}`;
  const headers: Record<string, string> = { "content-type": "application/json", ...(config.headers ?? {}) };
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
  const secrets = [config.apiKey ?? "", ...Object.values(config.headers ?? {})].filter((s) => s.length >= 8);

  return defineProvider(
    defineHostedBackend({
      provider: "http",
      model: config.model ?? `${config.api}@${new URL(endpoint).host}`,
      secrets,
      limits: limitsFromConfig(config, wire.defaultMaxDocuments),
      async send(query, documents, signal) {
        const response = await fetch(endpoint, { method: "POST", headers, body: JSON.stringify(wire.body(config.model, query, documents)), signal });
        const requestId = REQUEST_ID_HEADERS.map((h) => response.headers.get(h)).find((v) => v) ?? undefined;
        const text = await response.text();
        if (!response.ok) throw new HttpStatusError(response.status, errorMessage(text), requestId, parseRetryAfter(response.headers.get("retry-after")));
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw new InvalidResponseError(`response body is not JSON: ${JSON.stringify(text.slice(0, 80))}`, requestId);
        }
        const results = wire.parse(json);
        if (!results) throw new InvalidResponseError(`response is not a ${config.api === "tei" ? "TEI /rerank" : "Cohere-compatible /v1/rerank"} answer: ${text.slice(0, 120)}`, requestId);
        return { results, requestId };
      },
    }),
  );
}
