import {
  checkResultCount,
  configuredUrl,
  defineHostedBackend,
  defineProvider,
  limitsFromConfig,
  httpConfigSchema,
  InvalidResponseError,
  parseProviderConfig,
  postJson,
  RerankError,
  trimTrailingSlashes,
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
  const url = configuredUrl(config.url, "http", "url");
  const base = trimTrailingSlashes(url.href);
  const endpoint = base.endsWith(wire.path) ? base : `${base}${wire.path}`;
  // Trimmed as fetch would trim it in the header, so the key sent is the key redacted.
  const apiKey = config.apiKey?.trim();
  if (config.apiKey !== undefined && !apiKey) {
    throw new RerankError("INVALID_CONFIG", "config.apiKey of the http provider is blank (only whitespace)", {
      provider: "http",
    });
  }
  const headers: Record<string, string> = { ...(config.headers ?? {}) };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  // Every header value is the user's and may be a key (x-api-key, api-key, cookie…), whatever its length; the
  // redactor also takes out the credential of an Authorization-style value and the trimmed form of each.
  const secrets = [apiKey ?? "", ...Object.values(config.headers ?? {})];
  const limits = limitsFromConfig(config, wire.defaultMaxDocuments);

  return defineProvider(
    defineHostedBackend({
      provider: "http",
      model: config.model ?? `${config.api}@${url.host}`,
      origin: url.origin,
      secrets,
      limits,
      async send(query, documents, signal) {
        const { json, text, requestId } = await postJson(endpoint, {
          headers,
          body: wire.body(config.model, query, documents),
          signal,
          maxResponseBytes: limits.maxResponseBytes,
        });
        checkResultCount(wire.entries(json), documents.length, requestId);
        const results = wire.parse(json);
        if (!results)
          throw new InvalidResponseError(
            `response is not a ${config.api === "tei" ? "TEI /rerank" : "Cohere-compatible /v1/rerank"} answer`,
            requestId,
            text,
          );
        return { results, requestId };
      },
    }),
  );
}
