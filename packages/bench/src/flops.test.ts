import { SHAPES } from "@crossrank/model-fixtures";
import { describe, expect, it } from "vitest";
import { encoderFlops } from "./flops.js";
import { machinePeak } from "./machine.js";

describe("FLOP count", () => {
  it("puts a 113-token MiniLM-L6 pair at about 2.5 GFLOP", () => {
    // 6 layers × 2 × (4·113·384² + 2·113²·384 + 2·113·384·1536)
    expect(encoderFlops(SHAPES["minilm-l6"], 113)).toBe(6 * 2 * (4 * 113 * 384 * 384 + 2 * 113 * 113 * 384 + 2 * 113 * 384 * 1536));
    expect(encoderFlops(SHAPES["minilm-l6"], 113) / 1e9).toBeCloseTo(2.5, 1);
    expect(encoderFlops(SHAPES["minilm-l12"], 113)).toBe(2 * encoderFlops(SHAPES["minilm-l6"], 113));
  });
});

describe("machine peak", () => {
  it("is computed from the cores, clock and vector units this machine reports", () => {
    const peak = machinePeak();
    expect(peak.cores).toBeGreaterThan(0);
    expect(peak.ghz).toBeGreaterThan(0);
    expect(peak.fp32Gflops).toBeCloseTo(peak.cores * peak.ghz * (peak.description.includes("512-bit") ? 64 : peak.description.includes("256-bit") ? 32 : 16), 6);
    expect(peak.int8Gops).toBeGreaterThan(peak.fp32Gflops);
    expect(peak.how).toMatch(/cores × .* GHz/);
  });
});
