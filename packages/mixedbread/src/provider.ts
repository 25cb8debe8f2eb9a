import {
  defineHostedBackend,
  defineProvider,
  requireApiKey,
  limitsFromConfig,
  HttpStatusError,
  InvalidResponseError,
  mixedbreadConfigSchema,
  parseProviderConfig,
  parseRetryAfter,
  type MixedbreadRerankerConfig,
  type RerankProvider,
} from "@crossrank/core";
import { APIError, Mixedbread } from "@mixedbread/sdk";

export const DEFAULT_MODEL = "mixedbread-ai/mxbai-rerank-large-v2";
/** Documents per request crossrank sends by default; larger sets are split. */
export const MAX_DOCUMENTS_PER_REQUEST = 1000;

function errorMessage(body: unknown, fallback: string): string {
  if (body && typeof body === "object") {
    const b = body as { message?: unknown; detail?: unknown; error?: unknown };
    for (const v of [b.message, b.detail, b.error]) if (typeof v === "string") return v;
    if (b.detail !== undefined) return JSON.stringify(b.detail).slice(0, 300);
  }
  return fallback;
}

/**
 * The "mixedbread" provider: Mixedbread rerank (POST /v1/reranking) through `@mixedbread/sdk`. `score` and
 * `rawScore` are both Mixedbread's `score`, in [0, 1]. The SDK's own retries are off: crossrank's shared
 * policy retries instead.
 */
export async function createProvider(input: MixedbreadRerankerConfig): Promise<RerankProvider> {
  const config = parseProviderConfig(mixedbreadConfigSchema, input, "mixedbread");
  const apiKey = requireApiKey(config.apiKey, "MXBAI_API_KEY", "mixedbread");
  const model = config.model ?? DEFAULT_MODEL;
  const client = new Mixedbread({ apiKey, maxRetries: 0, timeout: config.timeoutMs + 60_000, ...(config.baseUrl ? { baseURL: config.baseUrl } : {}) });

  return defineProvider(
    defineHostedBackend({
      provider: "mixedbread",
      model,
      secrets: [apiKey],
      limits: limitsFromConfig(config, MAX_DOCUMENTS_PER_REQUEST),
      async send(query, documents, signal) {
        let response;
        try {
          response = await client.rerank({ model, query, input: [...documents], top_k: documents.length, return_input: false }, { signal, maxRetries: 0 });
        } catch (error) {
          if (error instanceof APIError && error.status !== undefined) {
            const requestId = error.headers?.get("x-request-id") ?? undefined;
            throw new HttpStatusError(error.status, errorMessage(error.error, error.message), requestId, parseRetryAfter(error.headers?.get("retry-after")));
          }
          if (error instanceof SyntaxError) throw new InvalidResponseError(`response body is not JSON: ${error.message}`);
          throw error;
        }
        if (!Array.isArray(response?.data)) throw new InvalidResponseError("response has no data array");
        return { results: response.data.map((r) => ({ index: r.index, score: r.score, rawScore: r.score })) };
      },
    }),
  );
}
