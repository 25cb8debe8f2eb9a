import type { LocalRerankerConfig } from "@crossrank/core";
import { dedupePairs, planBatches } from "./batching.js";
import { encodeAll, prepareModel } from "./model-setup.js";

export interface Workload {
  /** Tokens of each distinct (query, document) pair the model will read. */
  pairTokens: number[];
  /** Each inference batch: rows and the padded width. */
  batches: { rows: number; width: number }[];
  realTokens: number;
  paddedTokens: number;
}

/**
 * What rerank calls would feed the model, without running it: the same tokenization, truncation, dedupe and
 * batching as the provider. For benchmarks and for sizing `batchTokens` / `maxBatchSize`.
 */
export async function workloadPlanner(config: LocalRerankerConfig): Promise<(query: string, documents: readonly string[]) => Promise<Workload>> {
  const model = await prepareModel(config);
  return (query, documents) => planWith(model, query, documents);
}

async function planWith(model: Awaited<ReturnType<typeof prepareModel>>, query: string, documents: readonly string[]): Promise<Workload> {
  const pairs = await encodeAll(model.tokenizer, model.policy, query, documents, undefined);
  const { unique } = dedupePairs(pairs);
  const batches = planBatches(unique, model.config).map((rows) => ({
    rows: rows.length,
    width: rows.reduce((w, r) => Math.max(w, unique[r]!.ids.length), 0),
  }));
  const pairTokens = unique.map((p) => p.ids.length);
  return {
    pairTokens,
    batches,
    realTokens: pairTokens.reduce((a, b) => a + b, 0),
    paddedTokens: batches.reduce((a, b) => a + b.rows * b.width, 0),
  };
}
