import { readdirSync } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createReranker } from "@crossrank/core";
import { FIXTURE_WORDS, writeFixtureModel } from "@crossrank/model-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure } from "./support/failure.js";

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

  it("loads its weights from a mapped copy by default, with scores identical to loading them whole", async () => {
    const docs = ["the blue whale is the largest animal", "pacific ocean depth", "a recipe for bread"];
    const mapped = await createReranker({ provider: "local", modelPath: dir, dtype: "fp32" });
    const whole = await createReranker({ provider: "local", modelPath: dir, dtype: "fp32", mapWeights: false });
    const [a, b] = [await mapped.rerank("largest whale", docs), await whole.rerank("largest whale", docs)];
    await Promise.all([mapped.close!(), whole.close!()]);
    expect(a.map((r) => [r.index, r.score])).toEqual(b.map((r) => [r.index, r.score]));
    const weightsDir = join(process.env.CROSSRANK_CACHE_DIR!, "weights");
    const copies = readdirSync(weightsDir).filter((d) => !d.includes(".tmp-"));
    expect(copies.length).toBeGreaterThanOrEqual(1);
    const sizes = await Promise.all(copies.map((c) => stat(join(weightsDir, c, "model.onnx.data")).then((s) => s.size / 1e6)));
    expect(Math.max(...sizes)).toBeGreaterThan(85); // the weights moved out of the 91 MB model
  });

  it("names the mapped copy, and how to remake it, when that copy is damaged", async () => {
    const weightsDir = join(process.env.CROSSRANK_CACHE_DIR!, "weights");
    const copies = readdirSync(weightsDir).filter((d) => !d.includes(".tmp-"));
    // Damaged in a way its size does not show (a truncated weights file is noticed and the copy made again).
    for (const c of copies) await writeFile(join(weightsDir, c, "model.onnx"), "not a model");
    const e = await failure(createReranker({ provider: "local", modelPath: dir, dtype: "fp32" }));
    expect(e.code).toBe("MODEL_LOAD_FAILED");
    expect(e.message).toContain(join(dir, "onnx/model.onnx"));
    expect(e.message).toMatch(/from its copy with mapped weights, .*weights.*model\.onnx: .*Delete .* to have the copy made again, or set mapWeights: false/);
    for (const c of copies) await rm(join(weightsDir, c), { recursive: true, force: true });
    const remade = await createReranker({ provider: "local", modelPath: dir, dtype: "fp32" });
    expect(await remade.rerank("whale", ["a whale", "bread"])).toHaveLength(2);
    await remade.close!();
  });

  it("falls back to loading the weights whole, with one warning, when the copy cannot be written", async () => {
    const blocker = join(dir, "not-a-folder");
    await writeFile(blocker, "");
    const saved = process.env.CROSSRANK_CACHE_DIR;
    process.env.CROSSRANK_CACHE_DIR = join(blocker, "cache");
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const reranker = await createReranker({ provider: "local", modelPath: dir, dtype: "q8" });
      const results = await reranker.rerank("largest whale", ["the blue whale", "bread"]);
      await reranker.close!();
      expect(results).toHaveLength(2);
      await new Promise((resolve) => setImmediate(resolve));
      const notMapped = warnings.filter((w) => (w as NodeJS.ErrnoException).code === "CROSSRANK_WEIGHTS_NOT_MAPPED");
      expect(notMapped).toHaveLength(1);
      expect(notMapped[0]!.message).toMatch(/model_quantized\.onnx: could not make the copy .*CROSSRANK_CACHE_DIR.*mapWeights: false/);
    } finally {
      process.off("warning", onWarning);
      process.env.CROSSRANK_CACHE_DIR = saved;
    }
  });
});
