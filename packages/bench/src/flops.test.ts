import { SHAPES } from "@crossrank/model-fixtures";
import { describe, expect, it } from "vitest";
import { encoderFlops } from "./flops.js";

describe("FLOP count", () => {
  it("puts a 113-token MiniLM-L6 pair at about 2.5 GFLOP", () => {
    // 6 layers × 2 × (4·113·384² + 2·113²·384 + 2·113·384·1536)
    expect(encoderFlops(SHAPES["minilm-l6"], 113)).toBe(6 * 2 * (4 * 113 * 384 * 384 + 2 * 113 * 113 * 384 + 2 * 113 * 384 * 1536));
    expect(encoderFlops(SHAPES["minilm-l6"], 113) / 1e9).toBeCloseTo(2.5, 1);
    expect(encoderFlops(SHAPES["minilm-l12"], 113)).toBe(2 * encoderFlops(SHAPES["minilm-l6"], 113));
  });
});
