import {
  configuredUrl,
  defineHostedBackend,
  originBoundFetch,
  defineProvider,
  errorBodyMessage,
  requireApiKey,
  limitsFromConfig,
  HttpStatusError,
  InvalidResponseError,
  mixedbreadConfigSchema,
  parseProviderConfig,
  PROVIDERS,
  parseRetryAfter,
  trimTrailingSlashes,
  type MixedbreadRerankerConfig,
  type RerankProvider,
} from "@crossrank/core";
import { APIError, Mixedbread } from "@mixedbread/sdk";

export const DEFAULT_MODEL = "mixedbread-ai/mxbai-rerank-large-v2";
/** Documents per request crossrank sends by default; larger sets are split. */
export const MAX_DOCUMENTS_PER_REQUEST = 1000;
/** Mixedbread's API, as the SDK's own default. */
export const DEFAULT_BASE_URL = "https://api.mixedbread.com";

/**
 * The "mixedbread" provider: Mixedbread rerank (POST /v1/reranking) through `@mixedbread/sdk`. `score` and
 * `rawScore` are both Mixedbread's `score`, in [0, 1]. The SDK's own retries are off: crossrank's shared
 * policy retries instead. The SDK fetches through originBoundFetch: nothing goes to an origin but the
 * configured one, and a response is read up to the cap.
 */
export async function createProvider(input: MixedbreadRerankerConfig): Promise<RerankProvider> {
  const config = parseProviderConfig(mixedbreadConfigSchema, input, "mixedbread");
  const apiKey = requireApiKey(config.apiKey, PROVIDERS.mixedbread.apiKeyEnv, "mixedbread");
  const model = config.model ?? DEFAULT_MODEL;
  // The base URL is always given: the SDK would otherwise take MIXEDBREAD_BASE_URL, and send the key there.
  const base = configuredUrl(config.baseUrl ?? DEFAULT_BASE_URL, "mixedbread", "baseUrl");
  const limits = limitsFromConfig(config, MAX_DOCUMENTS_PER_REQUEST);
  const client = new Mixedbread({
    apiKey,
    maxRetries: 0,
    timeout: config.timeoutMs + 60_000,
    baseURL: trimTrailingSlashes(base.href),
    fetch: originBoundFetch(base.origin, limits.maxResponseBytes),
    // crossrank reports failures itself, redacted; MIXEDBREAD_LOG=debug would have the SDK print every request.
    logLevel: "off",
  });

  return defineProvider(
    defineHostedBackend({
      provider: "mixedbread",
      model,
      origin: base.origin,
      secrets: [apiKey],
      limits,
      async send(query, documents, signal) {
        let response;
        try {
          response = await client.rerank(
            { model, query, input: [...documents], top_k: documents.length, return_input: false },
            { signal, maxRetries: 0 },
          );
        } catch (error) {
          if (error instanceof APIError && error.status !== undefined) {
            const requestId = error.headers?.get("x-request-id") ?? undefined;
            throw new HttpStatusError(
              error.status,
              errorBodyMessage(error.error) ?? error.message,
              requestId,
              parseRetryAfter(error.headers?.get("retry-after")),
            );
          }
          // Not the parser's message: it quotes the start of the body, cut where a key the server echoed may be.
          if (error instanceof SyntaxError) throw new InvalidResponseError("response body is not JSON");
          throw error;
        }
        if (!Array.isArray(response?.data)) throw new InvalidResponseError("response has no data array");
        return { results: response.data.map((r) => ({ index: r.index, score: r.score, rawScore: r.score })) };
      },
    }),
  );
}
