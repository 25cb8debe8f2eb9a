import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { writeFixtureModel } from "./generate.js";
import { referenceLogits } from "./reference.js";
import { VARIANTS } from "./shapes.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "crossrank-fixture-"));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

// Three sequences of different lengths in one padded batch; ids are inside the tiny vocabularies.
const SEQUENCES = [
  { ids: [2, 40, 41, 42, 3, 50, 51, 3], types: [0, 0, 0, 0, 0, 1, 1, 1] },
  { ids: [2, 60, 3, 70, 3], types: [0, 0, 0, 1, 1] },
  { ids: [2, 80, 81, 3, 90, 91, 92, 93, 94, 95, 3], types: [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1] },
];

async function runBatch(file: string, withTypes: boolean): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file);
  const width = Math.max(...SEQUENCES.map((s) => s.ids.length));
  const ids = new BigInt64Array(SEQUENCES.length * width);
  const mask = new BigInt64Array(SEQUENCES.length * width);
  const types = new BigInt64Array(SEQUENCES.length * width);
  SEQUENCES.forEach((s, r) =>
    s.ids.forEach((id, t) => {
      ids[r * width + t] = BigInt(id);
      mask[r * width + t] = 1n;
      types[r * width + t] = BigInt(s.types[t]!);
    }),
  );
  const dims = [SEQUENCES.length, width];
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor("int64", ids, dims),
    attention_mask: new ort.Tensor("int64", mask, dims),
  };
  if (withTypes) feeds.token_type_ids = new ort.Tensor("int64", types, dims);
  expect([...session.inputNames].sort()).toEqual(Object.keys(feeds).sort());
  const out = await session.run(feeds);
  await session.release();
  return out.logits!.data as Float32Array;
}

describe.each(VARIANTS)("generated %s graph", (variant) => {
  it("computes the same logits as a direct implementation of the forward pass (1e-4)", async () => {
    const model = await writeFixtureModel({ shape: "tiny", variant, dtypes: ["fp32", "q8"], out: await tempDir() });
    const labels = model.weights.numLabels;
    const logits = await runBatch(join(model.dir, "onnx/model.onnx"), variant !== "xlmr");
    let spread = 0;
    SEQUENCES.forEach((s, r) => {
      const expected = referenceLogits(model.weights, { inputIds: s.ids, tokenTypeIds: s.types });
      expect(expected).toHaveLength(labels);
      expected.forEach((v, l) => expect(Math.abs(logits[r * labels + l]! - v)).toBeLessThan(1e-4));
      spread = Math.max(spread, Math.abs(expected[0]! - referenceLogits(model.weights, { inputIds: SEQUENCES[0]!.ids, tokenTypeIds: SEQUENCES[0]!.types })[0]!));
    });
    // Different inputs must give visibly different logits, or the comparison would prove little.
    expect(spread).toBeGreaterThan(1e-3);

    const quantized = await runBatch(join(model.dir, "onnx/model_quantized.onnx"), variant !== "xlmr");
    quantized.forEach((v, i) => expect(Math.abs(v - logits[i]!)).toBeLessThan(0.25));
  });
});

describe("fixture generator", () => {
  it("is deterministic: the same options write the same bytes", async () => {
    const hash = async (dir: string) => createHash("sha256").update(await readFile(join(dir, "onnx/model.onnx"))).digest("hex");
    const a = await writeFixtureModel({ shape: "tiny", out: await tempDir() });
    const b = await writeFixtureModel({ shape: "tiny", out: await tempDir() });
    const c = await writeFixtureModel({ shape: "tiny", seed: 7, out: await tempDir() });
    expect(await hash(a.dir)).toBe(await hash(b.dir));
    expect(await hash(a.dir)).not.toBe(await hash(c.dir));
  });

  it("uses the operator patterns of a PyTorch export (fp32) and of ONNX Runtime dynamic quantization (q8)", async () => {
    const model = await writeFixtureModel({ shape: "tiny", dtypes: ["fp32", "q8"], out: await tempDir() });
    const ops = async (file: string) => {
      const proto = onnxProto.onnx.ModelProto.decode(await readFile(join(model.dir, file)));
      return new Set(proto.graph!.node!.map((n) => n.opType));
    };
    const fp32 = await ops("onnx/model.onnx");
    for (const op of ["Gather", "LayerNormalization", "MatMul", "Softmax", "Erf", "Tanh", "Reshape", "Transpose"]) expect(fp32).toContain(op);
    const q8 = await ops("onnx/model_quantized.onnx");
    for (const op of ["DynamicQuantizeLinear", "MatMulInteger", "Cast"]) expect(q8).toContain(op);
    const config = JSON.parse(await readFile(join(model.dir, "config.json"), "utf8"));
    expect(config._crossrank_fixture).toMatch(/random weights/);
  });
});
