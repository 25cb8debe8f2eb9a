import type { ModelShape } from "@crossrank/model-fixtures";

/**
 * Multiply-adds of a BERT encoder on one sequence of `tokens`, counted as 2 FLOPs each: per layer the Q, K, V
 * and output projections (4·L·H²), the attention scores and the weighted sum (2·L²·H), and the feed-forward
 * (2·L·H·I). Embeddings, norms, softmax, pooler and classifier are under 1% and left out.
 */
export function encoderFlops(shape: ModelShape, tokens: number): number {
  const { hiddenSize: h, intermediateSize: i, numLayers } = shape;
  const perLayer = 2 * (4 * tokens * h * h + 2 * tokens * tokens * h + 2 * tokens * h * i);
  return numLayers * perLayer;
}
