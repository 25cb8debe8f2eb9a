import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACTIVATION_QMAX, dynamicQuantize, quantizeDense, WEIGHT_QMAX } from "./quantize.js";
import type { Dense } from "./weights.js";

// float32 values of any sign and size a weight can have: outliers, exact zeros and subnormals.
const value = fc.oneof(
  fc.float({ min: -4, max: 4, noNaN: true }),
  fc.float({ min: -1e4, max: 1e4, noNaN: true }),
  fc.constant(0),
);
// Activations: ONNX Runtime's DynamicQuantizeLinear divides by (max - min) / 255, which a subnormal range rounds
// to 0 there as here; a layer's output never has such a range, so the property leaves them out.
const activation = value.filter((v) => v === 0 || Math.abs(v) >= 2 ** -100);

const dense = fc
  .record({ rows: fc.integer({ min: 1, max: 12 }), cols: fc.integer({ min: 1, max: 6 }) })
  .chain(({ rows, cols }) =>
    fc.array(value, { minLength: rows * cols, maxLength: rows * cols }).map((w): Dense => {
      return { weight: Float32Array.from(w), bias: new Float32Array(cols), inFeatures: rows, outFeatures: cols };
    }),
  );

describe("per-channel reduce-range weights", () => {
  it("stay in [-64, 64], reach it in every non-zero column, and dequantize within half a step", () => {
    fc.assert(
      fc.property(dense, (d) => {
        const { q, scales } = quantizeDense(d);
        const cols = d.outFeatures;
        for (let o = 0; o < cols; o++) {
          let absmax = 0;
          let qmax = 0;
          for (let i = o; i < q.length; i += cols) {
            absmax = Math.max(absmax, Math.abs(d.weight[i]!));
            qmax = Math.max(qmax, Math.abs(q[i]!));
            // Half a step of this column's scale, plus float32 rounding of the scale itself.
            expect(Math.abs(q[i]! * scales[o]! - d.weight[i]!)).toBeLessThanOrEqual(scales[o]! * 0.5 * (1 + 1e-6));
          }
          // A column whose scale would be subnormal gets scale 1 (and rounds to 0), as onnxruntime's does.
        expect(qmax).toBe(absmax / WEIGHT_QMAX < 2 ** -126 ? 0 : WEIGHT_QMAX);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("cannot saturate a 16-bit sum of two uint8 × int8 products (AVX2's vpmaddubsw), whatever the weights", () => {
    fc.assert(
      fc.property(dense, (d) => {
        const { q } = quantizeDense(d);
        for (let i = 0; i + 1 < q.length; i++) {
          expect(ACTIVATION_QMAX * (Math.abs(q[i]!) + Math.abs(q[i + 1]!))).toBeLessThanOrEqual(32_767);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("DynamicQuantizeLinear", () => {
  it("represents 0 exactly, keeps every value within half a step, and uses uint8's range", () => {
    fc.assert(
      fc.property(fc.array(activation, { minLength: 1, maxLength: 64 }), (values) => {
        const { q, scale, zeroPoint } = dynamicQuantize(values);
        expect(Number.isInteger(zeroPoint) && zeroPoint >= 0 && zeroPoint <= ACTIVATION_QMAX).toBe(true);
        values.forEach((v, i) => {
          expect(q[i]).toBeGreaterThanOrEqual(0);
          expect(q[i]).toBeLessThanOrEqual(ACTIVATION_QMAX);
          if (v === 0) expect(q[i]).toBe(zeroPoint);
          // Half a step, plus the zero point's own rounding (another half step at most) for ranges not touching 0.
          expect(Math.abs((q[i]! - zeroPoint) * scale - v)).toBeLessThanOrEqual(scale * (1 + 1e-6));
        });
      }),
      { numRuns: 200 },
    );
  });
});
