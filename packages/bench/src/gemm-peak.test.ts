import { describe, expect, it } from "vitest";
import { measureGemmPeak } from "./gemm-peak.js";

describe("measured matrix-multiply peak", () => {
  it("measures finite, non-zero fp32 and int8 rates with ONNX Runtime", async () => {
    // A small shape keeps the test short; the bench uses PEAK_SHAPE. No figure is asserted beyond being real.
    const peak = await measureGemmPeak({ shape: { m: 128, k: 256, n: 256 }, reps: 3 });
    for (const rate of [peak.fp32Gflops, peak.int8Gops]) {
      expect(Number.isFinite(rate)).toBe(true);
      expect(rate).toBeGreaterThan(0);
    }
    expect(peak.how).toMatch(/128×256·256×256 MatMul/);
  });
});
