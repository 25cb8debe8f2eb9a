import { dynamicQuantize, quantizeDense, type QuantizedDense } from "./quantize.js";
import type { Dtype } from "./shapes.js";
import type { BertWeights, Dense, LayerNorm } from "./weights.js";

/**
 * A direct, unbatched float64 implementation of the forward pass the ONNX graph encodes. Tests compare the two
 * to prove the generated graph really computes BERT (so speed measured on it is speed of BERT).
 */
export interface ReferenceInput {
  inputIds: number[];
  tokenTypeIds?: number[];
}

export interface ReferenceOptions {
  /**
   * "q8" computes what the quantized graph does for one unpadded sequence: each projection's input quantized
   * as DynamicQuantizeLinear does (one scale over the sequence), exact integer products with the per-channel
   * weights, then scaled. Only float rounding separates it from ONNX Runtime, on any instruction set.
   */
  dtype?: Dtype;
}

type Matrix = Float64Array[];

// Abramowitz & Stegun 7.1.26: absolute error below 1.5e-7, far inside the 1e-4 the comparison allows.
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return sign * y;
}

function apply(x: Float64Array, d: Dense): Float64Array {
  const out = new Float64Array(d.outFeatures);
  for (let o = 0; o < d.outFeatures; o++) out[o] = d.bias[o]!;
  for (let i = 0; i < d.inFeatures; i++) {
    const xi = x[i]!;
    const row = i * d.outFeatures;
    for (let o = 0; o < d.outFeatures; o++) out[o] = out[o]! + xi * d.weight[row + o]!;
  }
  return out;
}

const quantizedWeights = new WeakMap<Dense, QuantizedDense>();

/** A projection of every token's vector, in float64 or as the q8 graph computes it. */
function project(xs: Float64Array[], d: Dense, dtype: Dtype): Float64Array[] {
  if (dtype === "fp32") return xs.map((x) => apply(x, d));
  let w = quantizedWeights.get(d);
  if (!w) quantizedWeights.set(d, (w = quantizeDense(d)));
  const flat = new Float64Array(xs.length * d.inFeatures);
  xs.forEach((x, r) => flat.set(x, r * d.inFeatures));
  const a = dynamicQuantize(flat);
  return xs.map((_, r) => {
    const acc = new Float64Array(d.outFeatures);
    for (let i = 0; i < d.inFeatures; i++) {
      const xi = a.q[r * d.inFeatures + i]! - a.zeroPoint;
      if (xi === 0) continue;
      const row = i * d.outFeatures;
      for (let o = 0; o < d.outFeatures; o++) acc[o] = acc[o]! + xi * w.q[row + o]!;
    }
    return acc.map((v, o) => v * a.scale * w.scales[o]! + d.bias[o]!);
  });
}

function norm(x: Float64Array, n: LayerNorm, eps: number): Float64Array {
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let variance = 0;
  for (const v of x) variance += (v - mean) ** 2;
  variance /= x.length;
  const inv = 1 / Math.sqrt(variance + eps);
  return x.map((v, i) => (v - mean) * inv * n.gamma[i]! + n.beta[i]!);
}

export function referenceLogits(w: BertWeights, input: ReferenceInput, options: ReferenceOptions = {}): number[] {
  const dtype = options.dtype ?? "fp32";
  const h = w.hiddenSize;
  const seq = input.inputIds.length;
  const headDim = h / w.numHeads;
  const row = (table: Float32Array, index: number) => Float64Array.from(table.subarray(index * h, (index + 1) * h));

  let x: Matrix = input.inputIds.map((id, pos) => {
    const type = w.variant === "xlmr" ? 0 : (input.tokenTypeIds?.[pos] ?? 0);
    const position = w.variant === "xlmr" ? pos + 1 + w.paddingIdx : pos;
    const word = row(w.wordEmbeddings, id);
    const p = row(w.positionEmbeddings, position);
    const t = row(w.tokenTypeEmbeddings, type);
    return norm(word.map((v, i) => v + p[i]! + t[i]!), w.embeddingNorm, w.layerNormEps);
  });

  for (const layer of w.layers) {
    const q = project(x, layer.query, dtype);
    const k = project(x, layer.key, dtype);
    const val = project(x, layer.value, dtype);
    const ctx: Matrix = x.map(() => new Float64Array(h));
    for (let head = 0; head < w.numHeads; head++) {
      const off = head * headDim;
      for (let i = 0; i < seq; i++) {
        const scores = new Float64Array(seq);
        let max = -Infinity;
        for (let j = 0; j < seq; j++) {
          let s = 0;
          for (let d = 0; d < headDim; d++) s += q[i]![off + d]! * k[j]![off + d]!;
          scores[j] = s / Math.sqrt(headDim);
          max = Math.max(max, scores[j]!);
        }
        let sum = 0;
        for (let j = 0; j < seq; j++) sum += scores[j] = Math.exp(scores[j]! - max);
        for (let j = 0; j < seq; j++) {
          const p = scores[j]! / sum;
          for (let d = 0; d < headDim; d++) ctx[i]![off + d] = ctx[i]![off + d]! + p * val[j]![off + d]!;
        }
      }
    }
    const attended = project(ctx, layer.attentionOutput, dtype).map((o, i) =>
      norm(o.map((v, d) => v + x[i]![d]!), layer.attentionNorm, w.layerNormEps),
    );
    const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
    const inter = project(attended, layer.intermediate, dtype).map((h) => h.map(gelu));
    x = project(inter, layer.output, dtype).map((o, i) =>
      norm(o.map((v, d) => v + attended[i]![d]!), layer.outputNorm, w.layerNormEps),
    );
  }
  const pooled = project([x[0]!], w.pooler, dtype)[0]!.map(Math.tanh);
  return Array.from(project([pooled], w.classifier, dtype)[0]!);
}
