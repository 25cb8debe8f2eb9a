import {
  defineHostedBackend,
  defineProvider,
  limitsFromConfig,
  httpConfigSchema,
  InvalidResponseError,
  parseProviderConfig,
  postJson,
  type HttpRerankerConfig,
  type RerankProvider,
} from "@crossrank/core";
import { cohereWire, teiWire } from "./wire.js";

/**
 * The "http" provider: a self-hosted rerank server, one replica or many behind a load balancer. `api: "cohere"`
 * speaks the Cohere-compatible POST /v1/rerank; `api: "tei"` speaks text-embeddings-inference's POST /rerank.
 */
export async function createProvider(input: HttpRerankerConfig): Promise<RerankProvider> {
  const config = parseProviderConfig(httpConfigSchema, input, "http");
  const wire = config.api === "tei" ? teiWire : cohereWire;
  const base = config.url.replace(/\/+$/, "");
  const endpoint = base.endsWith(wire.path) ? base : `${base}${wire.path}`;
  const headers: Record<string, string> = { ...(config.headers ?? {}) };
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
  const secrets = [config.apiKey ?? "", ...Object.values(config.headers ?? {})].filter((s) => s.length >= 8);

  return defineProvider(
    defineHostedBackend({
      provider: "http",
      model: config.model ?? `${config.api}@${new URL(endpoint).host}`,
      secrets,
      limits: limitsFromConfig(config, wire.defaultMaxDocuments),
      async send(query, documents, signal) {
        const { json, text, requestId } = await postJson(endpoint, { headers, body: wire.body(config.model, query, documents), signal });
        const results = wire.parse(json);
        if (!results) throw new InvalidResponseError(`response is not a ${config.api === "tei" ? "TEI /rerank" : "Cohere-compatible /v1/rerank"} answer: ${text.slice(0, 120)}`, requestId);
        return { results, requestId };
      },
    }),
  );
}
