import {
  cohereConfigSchema,
  configuredUrl,
  originBoundFetch,
  defineHostedBackend,
  defineProvider,
  errorBodyMessage,
  requireApiKey,
  limitsFromConfig,
  HttpStatusError,
  InvalidResponseError,
  parseProviderConfig,
  PROVIDERS,
  parseRetryAfter,
  trimTrailingSlashes,
  type CohereRerankerConfig,
  type RerankProvider,
} from "@crossrank/core";
import { CohereClientV2, CohereError, CohereTimeoutError } from "cohere-ai";
import { checkedRerankFetch } from "./checked-fetch.js";

export const DEFAULT_MODEL = "rerank-v3.5";
/** Cohere's documented maximum of documents per rerank request. */
export const MAX_DOCUMENTS_PER_REQUEST = 1000;
/** Cohere's API, as the SDK's own default. */
export const DEFAULT_BASE_URL = "https://api.cohere.com";

function header(headers: unknown, name: string): string | undefined {
  if (headers && typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  return undefined;
}

/**
 * The "cohere" provider: Cohere Rerank v2 (POST /v2/rerank) through `CohereClientV2`. `score` and `rawScore`
 * are both Cohere's `relevance_score`, which is already in [0, 1]. The SDK's own retries are off: crossrank's
 * shared policy retries instead, the same way for every hosted provider. The SDK fetches through
 * originBoundFetch: nothing goes to an origin but the configured one, and a response is read up to the cap.
 * The key is `apiKey`, else COHERE_API_KEY, else CO_API_KEY (the variable Cohere's own SDK reads).
 */
export async function createProvider(input: CohereRerankerConfig): Promise<RerankProvider> {
  const config = parseProviderConfig(cohereConfigSchema, input, "cohere");
  const apiKey = requireApiKey(config.apiKey, PROVIDERS.cohere.apiKeyEnv, "cohere");
  const model = config.model ?? DEFAULT_MODEL;
  // The base URL is always given, so nothing in the environment can point the SDK (and the key) elsewhere.
  const base = configuredUrl(config.baseUrl ?? DEFAULT_BASE_URL, "cohere", "baseUrl");
  const limits = limitsFromConfig(config, MAX_DOCUMENTS_PER_REQUEST);
  const client = new CohereClientV2({
    token: apiKey,
    maxRetries: 0,
    baseUrl: trimTrailingSlashes(base.href),
    fetch: checkedRerankFetch(originBoundFetch(base.origin, limits.maxResponseBytes)),
    // crossrank reports failures itself, redacted; the SDK's logger stays silent whatever its defaults become.
    logging: { silent: true },
  });

  return defineProvider(
    defineHostedBackend({
      provider: "cohere",
      model,
      origin: base.origin,
      secrets: [apiKey],
      limits,
      async send(query, documents, signal) {
        let response;
        try {
          response = await client.rerank(
            {
              model,
              query,
              documents: [...documents],
              ...(config.maxTokensPerDoc ? { maxTokensPerDoc: config.maxTokensPerDoc } : {}),
            },
            // The timeout is enforced through the signal; the SDK's must not fire first.
            { abortSignal: signal, maxRetries: 0, timeoutInSeconds: config.timeoutMs / 1000 + 60 },
          );
        } catch (error) {
          if (error instanceof CohereError && error.statusCode !== undefined) {
            const headers = error.rawResponse?.headers;
            const body = error.body as { id?: string } | undefined;
            const requestId = body?.id ?? header(headers, "x-request-id");
            if (error.statusCode >= 200 && error.statusCode < 300) {
              throw new InvalidResponseError(
                "response body is not Cohere's rerank response",
                requestId,
                errorBodyMessage(error.body) ?? "no message",
              );
            }
            throw new HttpStatusError(
              error.statusCode,
              errorBodyMessage(error.body) ?? "no message",
              requestId,
              parseRetryAfter(header(headers, "retry-after")),
            );
          }
          // The SDK wraps every failure of the fetch itself (network, timeout, the fetch's own refusals) in a
          // CohereError; anything else comes from decoding a 200 whose body is not a rerank answer (empty, null).
          if (error instanceof CohereError || error instanceof CohereTimeoutError) throw error;
          throw new InvalidResponseError("response body is not Cohere's rerank response");
        }
        if (!Array.isArray(response?.results))
          throw new InvalidResponseError("response has no results array", response?.id);
        return {
          requestId: response.id,
          results: response.results.map((r) => ({
            index: r.index,
            score: r.relevanceScore,
            rawScore: r.relevanceScore,
          })),
        };
      },
    }),
  );
}
