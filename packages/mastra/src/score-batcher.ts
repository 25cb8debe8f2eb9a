import type { RerankProvider } from "@crossrank/core";

interface Waiting {
  resolve: (score: number) => void;
  reject: (error: unknown) => void;
}

interface Batch {
  /** Distinct texts in arrival order, each with every caller waiting for its score. */
  texts: Map<string, Waiting[]>;
}

/**
 * Gathers one-document score requests into one rerank() per query. Mastra's rerankWithScorer asks for every
 * result's score at once (a Promise.all over the results), so the calls made before the event loop next turns
 * are one batch: one forward pass over all of them instead of one per document, and identical texts scored once.
 */
export class ScoreBatcher {
  private readonly batches = new Map<string, Batch>();

  constructor(private readonly reranker: () => Promise<RerankProvider>) {}

  score(query: string, text: string): Promise<number> {
    let batch = this.batches.get(query);
    if (!batch) {
      batch = { texts: new Map() };
      this.batches.set(query, batch);
      const current = batch;
      setImmediate(() => {
        if (this.batches.get(query) === current) this.batches.delete(query);
        void this.flush(query, current);
      });
    }
    return new Promise<number>((resolve, reject) => {
      const waiting = batch.texts.get(text) ?? [];
      waiting.push({ resolve, reject });
      batch.texts.set(text, waiting);
    });
  }

  private async flush(query: string, batch: Batch): Promise<void> {
    const texts = [...batch.texts.keys()];
    try {
      const results = await (await this.reranker()).rerank(query, texts);
      for (const r of results) for (const w of batch.texts.get(texts[r.index]!)!) w.resolve(r.score);
    } catch (error) {
      for (const waiting of batch.texts.values()) for (const w of waiting) w.reject(error);
    }
  }
}
