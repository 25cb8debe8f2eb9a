import {
  checkResultCount,
  configuredUrl,
  defineHostedBackend,
  defineProvider,
  requireApiKey,
  InvalidResponseError,
  limitsFromConfig,
  parseProviderConfig,
  PROVIDERS,
  postJson,
  trimTrailingSlashes,
  voyageConfigSchema,
  type RerankProvider,
  type TokenBudget,
  type VoyageRerankerConfig,
} from "@crossrank/core";
import { z } from "zod";

export const DEFAULT_MODEL = "rerank-2.5";
/** Voyage's documented maximum of documents per rerank request. */
export const MAX_DOCUMENTS_PER_REQUEST = 1000;

/**
 * Voyage's documented token limits (reranker API reference): a request's total, counted as query tokens × documents
 * + the documents' tokens, and the query plus any single document.
 */
export const TOKEN_LIMITS: Record<string, { perRequest: number; perPair: number }> = {
  "rerank-2.5": { perRequest: 600_000, perPair: 32_000 },
  "rerank-2.5-lite": { perRequest: 600_000, perPair: 32_000 },
  "rerank-2": { perRequest: 600_000, perPair: 16_000 },
  "rerank-2-lite": { perRequest: 600_000, perPair: 8_000 },
  "rerank-1": { perRequest: 300_000, perPair: 8_000 },
  "rerank-lite-1": { perRequest: 300_000, perPair: 4_000 },
};
/** A model the table does not know gets the smallest limits, so a request is never planned over its real one. */
const UNKNOWN_MODEL_LIMITS = { perRequest: 300_000, perPair: 4_000 };

const response = z
  .object({ data: z.array(z.object({ index: z.number(), relevance_score: z.number() }).loose()) })
  .loose();

/**
 * The "voyage" provider: Voyage AI's `POST /v1/rerank`. Requests are planned within Voyage's document and token
 * limits; `truncation` (default true) lets Voyage cut an over-long query + document, and when false such a
 * document fails the call before anything is sent. `score` and `rawScore` are both Voyage's `relevance_score`.
 */
export async function createProvider(input: VoyageRerankerConfig): Promise<RerankProvider> {
  const config = parseProviderConfig(voyageConfigSchema, input, "voyage");
  const apiKey = requireApiKey(config.apiKey, PROVIDERS.voyage.apiKeyEnv, "voyage");
  const model = config.model ?? DEFAULT_MODEL;
  const limits = TOKEN_LIMITS[model] ?? UNKNOWN_MODEL_LIMITS;
  const tokens: TokenBudget = {
    maxTokensPerRequest: limits.perRequest,
    queryPerDocument: true,
    maxTokensPerPair: limits.perPair,
    oversizePair: config.truncation ? "truncate" : "reject",
  };
  const base = configuredUrl(config.baseUrl ?? "https://api.voyageai.com", "voyage", "baseUrl");
  const endpoint = `${trimTrailingSlashes(base.href)}/v1/rerank`;
  const headers = { authorization: `Bearer ${apiKey}` };
  const hostedLimits = limitsFromConfig(config, MAX_DOCUMENTS_PER_REQUEST, tokens);

  return defineProvider(
    defineHostedBackend({
      provider: "voyage",
      model,
      origin: base.origin,
      secrets: [apiKey],
      limits: hostedLimits,
      async send(query, documents, signal) {
        const body = { query, documents, model, truncation: config.truncation, return_documents: false };
        const { json, text, requestId } = await postJson(endpoint, {
          headers,
          body,
          signal,
          maxResponseBytes: hostedLimits.maxResponseBytes,
        });
        checkResultCount((json as { data?: unknown } | null)?.data, documents.length, requestId);
        const parsed = response.safeParse(json);
        if (!parsed.success) throw new InvalidResponseError("response is not Voyage's rerank answer", requestId, text);
        return {
          requestId,
          results: parsed.data.data.map((r) => ({
            index: r.index,
            score: r.relevance_score,
            rawScore: r.relevance_score,
          })),
        };
      },
    }),
  );
}
