/** The logistic function: a cross-encoder's logit to a score in [0, 1], the same wherever the logit comes from. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
