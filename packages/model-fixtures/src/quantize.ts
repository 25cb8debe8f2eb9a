import type { Dense } from "./weights.js";

/**
 * The int8 weight range of ONNX Runtime's dynamic quantization with reduce_range (symmetric, 7 bits and a
 * sign). Activations are uint8 [0, 255] (DynamicQuantizeLinear), so one pair of products that x86's
 * vpmaddubsw adds in 16 bits is at most 2 × 255 × 64 = 32,640 ≤ 32,767: it cannot saturate on CPUs without
 * VNNI, which full-range weights (2 × 255 × 127 = 64,770) can. Exact integer sums make q8 results the same on
 * every instruction set, up to float rounding around the integer part.
 */
export const WEIGHT_QMAX = 64;
export const ACTIVATION_QMAX = 255;
/** The smallest normal float32: onnxruntime's quantizer uses a scale of 1 below it rather than divide by ~0. */
const FLOAT32_TINY = 2 ** -126;

export interface QuantizedDense {
  /** [inFeatures, outFeatures] row-major, each in [-WEIGHT_QMAX, WEIGHT_QMAX]. */
  q: Int8Array;
  /** One scale per output column (per-channel along the MatMul weight's axis 1); the zero point is 0. */
  scales: Float32Array;
}

// numpy's round (used by the quantizer) and ONNX Runtime's kernels round half to even.
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Per-channel, reduce-range, symmetric int8 weights: onnxruntime's quantize_dynamic(per_channel, reduce_range). */
export function quantizeDense(d: Dense): QuantizedDense {
  const { inFeatures: rows, outFeatures: cols, weight } = d;
  const scales = new Float32Array(cols);
  for (let o = 0; o < cols; o++) {
    let max = 0;
    for (let i = 0; i < rows; i++) max = Math.max(max, Math.abs(weight[i * cols + o]!));
    // (rmax - rmin) / (qmax - qmin) with the range made symmetric: absmax / 64, computed in float32.
    const scale = Math.fround((2 * max) / (2 * WEIGHT_QMAX));
    scales[o] = scale < FLOAT32_TINY ? 1 : scale;
  }
  const q = new Int8Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let o = 0; o < cols; o++) {
      const v = roundHalfEven(Math.fround(weight[i * cols + o]! / scales[o]!));
      q[i * cols + o] = Math.max(-WEIGHT_QMAX, Math.min(WEIGHT_QMAX, v));
    }
  }
  return { q, scales };
}

export interface QuantizedActivation {
  q: Uint8Array;
  scale: number;
  zeroPoint: number;
}

/** ONNX DynamicQuantizeLinear in float32: one scale and zero point for the whole tensor, range widened to 0. */
export function dynamicQuantize(values: ArrayLike<number>): QuantizedActivation {
  let min = 0;
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.fround(values[i]!);
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const scale = max === min ? 1 : Math.fround((max - min) / ACTIVATION_QMAX);
  const zeroPoint = roundHalfEven(Math.max(0, Math.min(ACTIVATION_QMAX, Math.fround(0 - min / scale))));
  const q = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const stepped = roundHalfEven(Math.fround(Math.fround(values[i]!) / scale)) + zeroPoint;
    q[i] = Math.max(0, Math.min(ACTIVATION_QMAX, stepped));
  }
  return { q, scale, zeroPoint };
}
