import { adapterSettings, RerankError, type AdapterOptions, type AdapterSettings } from "@crossrank/core";
import type { MessageContent } from "@llamaindex/core/llms";
import type { BaseNodePostprocessor } from "@llamaindex/core/postprocessor";
import { MetadataMode, type NodeWithScore } from "@llamaindex/core/schema";
import { randomUUID } from "node:crypto";
import { dispatchRerankEvent } from "./rerank-events.js";

export interface CrossEncoderRerankerOptions extends AdapterOptions {
  /**
   * What of each node the model reads. Default MetadataMode.NONE: the text alone, which is what cross-encoders
   * are trained on; MetadataMode.LLM adds the metadata the LLM would see.
   */
  metadataMode?: MetadataMode;
}

export const DEFAULT_TOP_N = 3;

function queryText(query: MessageContent | undefined): string {
  if (typeof query === "string" || query === undefined) return query ?? "";
  if (!Array.isArray(query)) throw new RerankError("INVALID_INPUT", "query must be a string or MessageContent (an array of content parts)");
  // Multimodal queries: a cross-encoder reads text, so the text parts are joined.
  return query
    .filter((part): part is { type: "text"; text: string } => part.type === "text" && typeof (part as { text?: unknown }).text === "string")
    .map((part) => part.text)
    .join("\n");
}

/**
 * A LlamaIndex node postprocessor that reranks with any crossrank provider: pass it in `nodePostprocessors` of a
 * query engine or chat engine. Returns new NodeWithScore objects, best first, with `score` set to crossrank's
 * [0, 1] score; the input objects are left untouched.
 */
export class CrossEncoderReranker implements BaseNodePostprocessor {
  readonly topN: number;
  readonly minScore: number | undefined;
  readonly metadataMode: MetadataMode;
  private readonly settings: AdapterSettings;

  constructor(options: CrossEncoderRerankerOptions = {}) {
    this.settings = adapterSettings(options, DEFAULT_TOP_N, ["metadataMode"]);
    this.topN = this.settings.topN;
    this.minScore = this.settings.minScore;
    this.metadataMode = options.metadataMode ?? MetadataMode.NONE;
  }

  async postprocessNodes(nodes: NodeWithScore[], query?: MessageContent): Promise<NodeWithScore[]> {
    if (!Array.isArray(nodes)) throw new RerankError("INVALID_INPUT", "nodes must be an array of NodeWithScore");
    const text = queryText(query);
    if (!text.trim()) {
      throw new RerankError("INVALID_INPUT", "query is empty: CrossEncoderReranker needs the query's text; postprocessNodes(nodes, query) was called without it");
    }
    if (nodes.length === 0) return [];
    // Reported through LlamaIndex's own callback manager, beside its "retrieve-end" and "llm-end" events.
    const id = randomUUID();
    const started = performance.now();
    dispatchRerankEvent("rerank-start", { id, query: text, nodes, topN: this.topN });
    const provider = await this.settings.provider();
    const results = await provider.rerank(
      text,
      nodes.map((n) => n.node.getContent(this.metadataMode)),
      { topN: this.topN },
    );
    const kept = results.filter((r) => this.minScore === undefined || r.score >= this.minScore).map((r) => ({ node: nodes[r.index]!.node, score: r.score }));
    dispatchRerankEvent("rerank-end", { id, query: text, nodes: kept, servedBy: results[0]?.servedBy, durationMs: performance.now() - started });
    return kept;
  }

  /** Releases the reranker this postprocessor created from `config` (one passed as `reranker` is yours to close). */
  async close(): Promise<void> {
    await this.settings.close();
  }
}
