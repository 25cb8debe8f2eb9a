import type { RerankingModelV3, RerankingModelV3CallOptions, SharedV3Warning } from "@ai-sdk/provider";
import { createReranker, describeConfig, resolveConfig, type CreateRerankerOptions, type RerankerSpec, type RerankProvider } from "@crossrank/core";
import { documentText } from "./object-documents.js";

type DoRerankResult = Awaited<ReturnType<RerankingModelV3["doRerank"]>>;

/**
 * A crossrank reranker as an AI SDK reranking model (specification v3). The reranker is created on the first
 * call and kept; a failed setup (say, a model not yet pulled) is tried again on the next call.
 *
 * Plain fields only: ai@7 wraps the model in a Proxy, which `#private` fields do not survive.
 */
export class CrossrankRerankingModel implements RerankingModelV3 {
  readonly specificationVersion = "v3";
  readonly provider = "crossrank";
  readonly modelId: string;
  private pending: Promise<RerankProvider> | undefined;
  private readonly create: () => Promise<RerankProvider>;

  constructor(model: RerankerSpec | RerankProvider, options: CreateRerankerOptions = {}) {
    if (isRerankProvider(model)) {
      this.modelId = `${model.provider}:${model.model}`;
      this.create = () => Promise.resolve(model);
    } else {
      // Validated now, where a mistake in the config is easiest to see; the reranker itself is made on first use.
      const config = resolveConfig(model);
      this.modelId = typeof model === "string" ? model : describeConfig(config);
      this.create = () => createReranker(config, options);
    }
  }

  /** The crossrank reranker behind this model (created if need be). */
  reranker(): Promise<RerankProvider> {
    if (!this.pending) {
      this.pending = this.create();
      this.pending.catch(() => (this.pending = undefined));
    }
    return this.pending;
  }

  /** Releases the reranker (a local model's session, say). The model can be used again afterwards. */
  async close(): Promise<void> {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) await (await pending.catch(() => undefined))?.close?.();
  }

  async doRerank(options: RerankingModelV3CallOptions): Promise<DoRerankResult> {
    const warnings: SharedV3Warning[] = [];
    const { documents } = options;
    const texts = documents.type === "text" ? documents.values : documents.values.map((v) => documentText(v));
    if (documents.type === "object" && documents.values.some((v) => typeof v !== "string")) {
      warnings.push({
        type: "compatibility",
        feature: "object documents",
        details: "crossrank reranks text: each object was turned into its fields as `key: value` lines",
      });
    }
    if (options.headers && Object.keys(options.headers).length > 0) {
      warnings.push({ type: "unsupported", feature: "headers", details: "set request headers in the crossrank config (the http provider's `headers`)" });
    }
    const reranker = await this.reranker();
    // crossrank sorts and cuts to topN itself: rerank() does neither.
    const results = await reranker.rerank(options.query, texts, { topN: options.topN, signal: options.abortSignal });
    return {
      ranking: results.map((r) => ({ index: r.index, relevanceScore: r.score })),
      providerMetadata: {
        crossrank: {
          ranking: results.map((r) => ({ index: r.index, rawScore: r.rawScore, servedBy: r.servedBy ?? null })),
        },
      },
      warnings,
      response: { modelId: results[0]?.servedBy ?? this.modelId, timestamp: new Date() },
    };
  }
}

function isRerankProvider(value: unknown): value is RerankProvider {
  return typeof value === "object" && value !== null && typeof (value as RerankProvider).rerank === "function";
}
