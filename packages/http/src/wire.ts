import { sigmoid } from "@crossrank/core";
import { z } from "zod";

/**
 * The two rerank wire formats self-hosted servers speak. Each maps crossrank's request to the API's body and
 * the API's answer back to per-position scores.
 */
export interface WireFormat {
  path: string;
  /** Documents per request when the config does not say. */
  defaultMaxDocuments: number;
  body(model: string | undefined, query: string, documents: readonly string[]): unknown;
  parse(json: unknown): { index: number; score: number; rawScore: number }[] | undefined;
  /** The answer's list of results as sent, unchecked, so its length can be checked before parse walks it. */
  entries(json: unknown): unknown;
}

const cohereResponse = z
  .object({ results: z.array(z.object({ index: z.number(), relevance_score: z.number() }).loose()) })
  .loose();
const teiResponse = z.array(z.object({ index: z.number(), score: z.number() }).loose());

/** Cohere-compatible POST /v1/rerank (vLLM, Infinity, Jina, LocalAI, …): relevance_score is already in [0, 1]. */
export const cohereWire: WireFormat = {
  path: "/v1/rerank",
  defaultMaxDocuments: 100,
  body: (model, query, documents) => ({
    ...(model ? { model } : {}),
    query,
    documents,
    top_n: documents.length,
    return_documents: false,
  }),
  entries: (json) => (json as { results?: unknown } | null)?.results,
  parse(json) {
    const parsed = cohereResponse.safeParse(json);
    return parsed.success
      ? parsed.data.results.map((r) => ({ index: r.index, score: r.relevance_score, rawScore: r.relevance_score }))
      : undefined;
  },
};

/**
 * text-embeddings-inference POST /rerank. Raw scores are requested so `rawScore` is the model's logit and
 * `score` its sigmoid, the same numbers the local provider gives for the same model. TEI's default
 * max_client_batch_size is 32.
 */
export const teiWire: WireFormat = {
  path: "/rerank",
  defaultMaxDocuments: 32,
  body: (_model, query, documents) => ({ query, texts: documents, raw_scores: true, truncate: true }),
  entries: (json) => json,
  parse(json) {
    const parsed = teiResponse.safeParse(json);
    return parsed.success
      ? parsed.data.map((r) => ({ index: r.index, score: sigmoid(r.score), rawScore: r.score }))
      : undefined;
  },
};
