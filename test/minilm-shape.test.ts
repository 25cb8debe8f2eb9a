import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createReranker } from "@crossrank/core";
import { FIXTURE_WORDS, writeFixtureModel } from "@crossrank/model-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The full-size path: a model with MiniLM-L6's exact shapes (22.7M parameters, 30,522-token vocabulary). */
describe("a MiniLM-L6-shaped model", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crossrank-minilm-"));
    await writeFixtureModel({ shape: "minilm-l6", dtypes: ["fp32", "q8"], out: dir });
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("has the size of the real export", async () => {
    const { size } = await stat(join(dir, "onnx/model.onnx"));
    // cross-encoder/ms-marco-MiniLM-L-6-v2's onnx/model.onnx is 90.9 MB.
    expect(size / 1e6).toBeGreaterThan(90);
    expect(size / 1e6).toBeLessThan(92);
  });

  it.each(["fp32", "q8"] as const)("scores 100 documents in one call (%s)", async (dtype) => {
    const docs = Array.from({ length: 100 }, (_, i) =>
      Array.from({ length: 20 + ((i * 37) % 90) }, (_, w) => FIXTURE_WORDS[(i * 13 + w * 7) % FIXTURE_WORDS.length]).join(" "),
    );
    const reranker = await createReranker({ provider: "local", modelPath: dir, dtype });
    const results = await reranker.rerank("which ocean has the largest whale", docs);
    await reranker.close!();
    expect(results).toHaveLength(100);
    expect(new Set(results.map((r) => r.index)).size).toBe(100);
    expect(new Set(results.map((r) => r.score)).size).toBeGreaterThan(90);
  });
});
