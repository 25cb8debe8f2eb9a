import type { DocumentScore } from "@crossrank/core";
import type { ModelConfig } from "./model-config.js";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Maps one row of logits to crossrank's score in [0, 1] and the raw value.
 * - one label: rawScore is the logit; score is sigmoid(logit), or (tanh(logit) + 1) / 2 for Tanh heads.
 *   Heads that declare Identity (sentence-transformers then returns the bare logit) still get sigmoid for
 *   `score`, so scores stay comparable; their `rawScore` is what sentence-transformers returns.
 * - two labels: score is the softmax probability of the relevant label; rawScore is the relevant label's
 *   logit minus the other's (the log-odds, so score = sigmoid(rawScore)).
 */
export function scoreLogits(logits: Float32Array, row: number, config: ModelConfig): DocumentScore {
  if (config.numLabels === 1) {
    const raw = logits[row]!;
    return { rawScore: raw, score: config.activation === "tanh" ? (Math.tanh(raw) + 1) / 2 : sigmoid(raw) };
  }
  const rel = logits[row * 2 + config.relevantLabel]!;
  const other = logits[row * 2 + (1 - config.relevantLabel)]!;
  const raw = rel - other;
  return { rawScore: raw, score: sigmoid(raw) };
}
