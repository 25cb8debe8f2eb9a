import {
  checkResultCount,
  configuredUrl,
  defineHostedBackend,
  defineProvider,
  requireApiKey,
  InvalidResponseError,
  jinaConfigSchema,
  limitsFromConfig,
  parseProviderConfig,
  PROVIDERS,
  postJson,
  trimTrailingSlashes,
  type JinaRerankerConfig,
  type RerankProvider,
} from "@crossrank/core";
import { z } from "zod";

export const DEFAULT_MODEL = "jina-reranker-v2-base-multilingual";
/**
 * Documents per request. Jina's API reference states no cap; this is crossrank's own, the same as Cohere's and
 * Voyage's documented ones, so one call of a typical candidate list is one request.
 */
export const MAX_DOCUMENTS_PER_REQUEST = 1000;

const response = z
  .object({ results: z.array(z.object({ index: z.number(), relevance_score: z.number() }).loose()) })
  .loose();

/**
 * The "jina" provider: Jina AI's `POST /v1/rerank`. Jina cuts a query + document longer than the model's input
 * (1,024 tokens for jina-reranker-v2-base-multilingual, 10,240 for jina-reranker-m0) itself. `score` and
 * `rawScore` are both Jina's `relevance_score`.
 */
export async function createProvider(input: JinaRerankerConfig): Promise<RerankProvider> {
  const config = parseProviderConfig(jinaConfigSchema, input, "jina");
  const apiKey = requireApiKey(config.apiKey, PROVIDERS.jina.apiKeyEnv, "jina");
  const model = config.model ?? DEFAULT_MODEL;
  const base = configuredUrl(config.baseUrl ?? "https://api.jina.ai", "jina", "baseUrl");
  const endpoint = `${trimTrailingSlashes(base.href)}/v1/rerank`;
  const headers = { authorization: `Bearer ${apiKey}` };
  const hostedLimits = limitsFromConfig(config, MAX_DOCUMENTS_PER_REQUEST);

  return defineProvider(
    defineHostedBackend({
      provider: "jina",
      model,
      origin: base.origin,
      secrets: [apiKey],
      limits: hostedLimits,
      async send(query, documents, signal) {
        const body = { model, query, documents, top_n: documents.length, return_documents: false };
        const { json, text, requestId } = await postJson(endpoint, {
          headers,
          body,
          signal,
          maxResponseBytes: hostedLimits.maxResponseBytes,
        });
        checkResultCount((json as { results?: unknown } | null)?.results, documents.length, requestId);
        const parsed = response.safeParse(json);
        if (!parsed.success) throw new InvalidResponseError("response is not Jina's rerank answer", requestId, text);
        return {
          requestId,
          results: parsed.data.results.map((r) => ({
            index: r.index,
            score: r.relevance_score,
            rawScore: r.relevance_score,
          })),
        };
      },
    }),
  );
}
