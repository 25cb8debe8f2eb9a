import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { arch, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import onnxProto from "onnx-proto";
import ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { writeFixtureModel, type FixtureModel } from "./generate.js";
import { WEIGHT_QMAX } from "./quantize.js";
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

interface Batch {
  ids: number[][];
  types: number[][];
}
const ALL: Batch = { ids: SEQUENCES.map((s) => s.ids), types: SEQUENCES.map((s) => s.types) };
const alone = (i: number): Batch => ({ ids: [SEQUENCES[i]!.ids], types: [SEQUENCES[i]!.types] });

/**
 * The feeds of a right-padded batch, as plain arrays (so that a child process can rebuild them). Padding is the
 * pad token: [PAD] = 0 for BERT, <pad> = 1 for XLM-R (the variant without token types), as a tokenizer pads.
 */
function feedsOf(batch: Batch, withTypes: boolean): Record<string, { data: number[]; dims: number[] }> {
  const width = Math.max(...batch.ids.map((s) => s.length));
  const pad = (rows: number[][], fill: (r: number, t: number) => number, padding = 0) =>
    rows.flatMap((row, r) => Array.from({ length: width }, (_, t) => (t < row.length ? fill(r, t) : padding)));
  const dims = [batch.ids.length, width];
  const feeds: Record<string, { data: number[]; dims: number[] }> = {
    input_ids: { data: pad(batch.ids, (r, t) => batch.ids[r]![t]!, withTypes ? 0 : 1), dims },
    attention_mask: { data: pad(batch.ids, () => 1), dims },
  };
  if (withTypes) feeds.token_type_ids = { data: pad(batch.types, (r, t) => batch.types[r]![t]!), dims };
  return feeds;
}

async function runBatch(file: string, withTypes: boolean, batch: Batch = ALL): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file);
  const feeds = Object.fromEntries(
    Object.entries(feedsOf(batch, withTypes)).map(([k, v]) => {
      return [k, new ort.Tensor("int64", BigInt64Array.from(v.data.map(BigInt)), v.dims)];
    }),
  );
  expect([...session.inputNames].sort()).toEqual(Object.keys(feeds).sort());
  const out = await session.run(feeds);
  await session.release();
  return out.logits!.data as Float32Array;
}

/**
 * ONNX Runtime's q8 against the q8 reference: the integer products are exact on every CPU (7-bit weights cannot
 * saturate), so most logits agree to float32 rounding (~1e-7). Now and then float32 and float64 round one
 * DynamicQuantizeLinear input to neighbouring steps; over 3 variants × 20 seeds that moved a logit by 5.4e-3 at
 * most. Hence: the median difference shows exact arithmetic, the largest stays under one such step's worth.
 */
const Q8_EXACT = 1e-5;
const Q8_ONE_STEP = 1e-2;
/**
 * q8 against fp32: quantization error, not a property of the CPU. Weight steps are absmax/64 per column and
 * activation steps range/255 per tensor; on these random models that moved logits by 0.055 at most (3 variants
 * × 20 seeds). 0.1 is a generous bound that still fails on a q8 whose sums saturate (0.29).
 */
const Q8_VS_FP32 = 0.1;

describe.each(VARIANTS)("generated %s graph", (variant) => {
  const withTypes = variant !== "xlmr";

  it("computes the same logits as a direct implementation of the forward pass (1e-4)", async () => {
    const model = await writeFixtureModel({ shape: "tiny", variant, dtypes: ["fp32", "q8"], out: await tempDir() });
    const labels = model.weights.numLabels;
    const logits = await runBatch(join(model.dir, "onnx/model.onnx"), withTypes);
    let spread = 0;
    SEQUENCES.forEach((s, r) => {
      const expected = referenceLogits(model.weights, { inputIds: s.ids, tokenTypeIds: s.types });
      expect(expected).toHaveLength(labels);
      expected.forEach((v, l) => expect(Math.abs(logits[r * labels + l]! - v)).toBeLessThan(1e-4));
      spread = Math.max(spread, Math.abs(expected[0]! - referenceLogits(model.weights, { inputIds: SEQUENCES[0]!.ids, tokenTypeIds: SEQUENCES[0]!.types })[0]!));
    });
    // Different inputs must give visibly different logits, or the comparison would prove little.
    expect(spread).toBeGreaterThan(1e-3);

    const quantized = await runBatch(join(model.dir, "onnx/model_quantized.onnx"), withTypes);
    quantized.forEach((v, i) => expect(Math.abs(v - logits[i]!)).toBeLessThan(Q8_VS_FP32));
  });

  it("computes dynamic quantization's integer arithmetic exactly: q8 matches the q8 reference", async () => {
    const model = await writeFixtureModel({ shape: "tiny", variant, dtypes: ["q8"], out: await tempDir() });
    const logits: number[][] = [];
    for (let i = 0; i < SEQUENCES.length; i++) {
      // Alone: DynamicQuantizeLinear takes one scale per tensor, so batch mates would change it.
      logits.push([...(await runBatch(join(model.dir, "onnx/model_quantized.onnx"), withTypes, alone(i)))]);
    }
    expectQ8(model.weights, logits);
  });
});

describe("generated graph at MiniLM-L6's full size", () => {
  it("computes the reference's logits: fp32 to 1e-4, q8 within one activation step of the q8 reference", async () => {
    const model = await writeFixtureModel({ shape: "minilm-l6", dtypes: ["fp32", "q8"], out: await tempDir() });
    // One short pair keeps the float64 reference to seconds; 384-wide projections and 1,536-wide FFNs are full size.
    const ids = [101, 2054, 4153, 2038, 1996, 2922, 13156, 102, 1996, 2630, 13156, 102];
    const types = ids.map((_, i) => (i > 7 ? 1 : 0));
    const batch: Batch = { ids: [ids], types: [types] };
    const fp32 = await runBatch(join(model.dir, "onnx/model.onnx"), true, batch);
    const q8 = await runBatch(join(model.dir, "onnx/model_quantized.onnx"), true, batch);
    const expected = referenceLogits(model.weights, { inputIds: ids, tokenTypeIds: types });
    const expectedQ8 = referenceLogits(model.weights, { inputIds: ids, tokenTypeIds: types }, { dtype: "q8" });
    expect(Math.abs(fp32[0]! - expected[0]!)).toBeLessThan(1e-4);
    expect(Math.abs(q8[0]! - expectedQ8[0]!)).toBeLessThan(Q8_ONE_STEP);
    expect(Math.abs(q8[0]! - fp32[0]!)).toBeLessThan(Q8_VS_FP32);
  }, 180_000);
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Each sequence's q8 logits (run alone) against the q8 reference, and the q8 reference against fp32's. */
function expectQ8(weights: FixtureModel["weights"], logits: number[][]): void {
  const diffs: number[] = [];
  let fromFp32 = 0;
  SEQUENCES.forEach((s, i) => {
    const input = { inputIds: s.ids, tokenTypeIds: s.types };
    const q8 = referenceLogits(weights, input, { dtype: "q8" });
    const fp32 = referenceLogits(weights, input);
    expect(logits[i]).toHaveLength(q8.length);
    q8.forEach((v, l) => {
      diffs.push(Math.abs(logits[i]![l]! - v));
      fromFp32 = Math.max(fromFp32, Math.abs(v - fp32[l]!));
    });
  });
  expect(median(diffs)).toBeLessThan(Q8_EXACT);
  expect(Math.max(...diffs)).toBeLessThan(Q8_ONE_STEP);
  // The q8 reference is not the fp32 one under another name.
  expect(fromFp32).toBeGreaterThan(Q8_ONE_STEP);
}

/** qemu's user-mode emulator on an x86-64 host, which can present a CPU without AVX-512 and VNNI. */
function findQemu(): string | undefined {
  if (arch() !== "x64") return undefined;
  const found = (process.env.PATH ?? "").split(":").map((d) => join(d, "qemu-x86_64")).find((f) => existsSync(f));
  if (!found) console.warn("skipped: the AVX2 q8 check needs qemu-x86_64 (Debian: apt-get install qemu-user)");
  return found;
}
const QEMU = findQemu();

// Runs in the emulated process (one, as starting Node under emulation takes seconds): the q8 model on each
// batch of feeds given as JSON, every batch's logits printed as one JSON line.
const CHILD = `
import ort from "onnxruntime-node";
const [file, json] = process.argv.slice(1);
const session = await ort.InferenceSession.create(file);
const results = [];
for (const batch of JSON.parse(json)) {
  const feeds = Object.fromEntries(Object.entries(batch).map(([k, v]) =>
    [k, new ort.Tensor("int64", BigInt64Array.from(v.data.map(BigInt)), v.dims)]));
  results.push(Array.from((await session.run(feeds)).logits.data));
}
console.log(JSON.stringify(results));
`;

describe.skipIf(!QEMU)("q8 on a CPU with AVX2 and neither AVX-512 nor VNNI (emulated)", () => {
  const exec = promisify(execFile);
  // EPYC-Rome: AVX2 only. ONNX Runtime picks its int8 kernels from CPUID at start-up, and qemu answers CPUID
  // for the model it emulates, so the process takes the AVX2 path (vpmaddubsw, 16-bit pair sums).
  const onAvx2 = async (file: string, batches: Batch[], withTypes: boolean): Promise<number[][]> => {
    const feeds = JSON.stringify(batches.map((b) => feedsOf(b, withTypes)));
    const args = ["-cpu", "EPYC-Rome", process.execPath, "--input-type=module", "-e", CHILD, file, feeds];
    const cwd = fileURLToPath(new URL("..", import.meta.url));
    const { stdout } = await exec(QEMU!, args, { cwd, timeout: 120_000, maxBuffer: 1024 * 1024 });
    return JSON.parse(stdout.trim().split("\n").at(-1)!) as number[][];
  };

  it.each(["bert", "xlmr"] as const)("%s: the same q8 arithmetic, q8 within the bound of fp32", async (variant) => {
    const withTypes = variant !== "xlmr";
    const model = await writeFixtureModel({ shape: "tiny", variant, dtypes: ["fp32", "q8"], out: await tempDir() });
    const batches = [ALL, ...SEQUENCES.map((_, i) => alone(i))];
    const [batched, ...logits] = await onAvx2(join(model.dir, "onnx/model_quantized.onnx"), batches, withTypes);
    const fp32 = await runBatch(join(model.dir, "onnx/model.onnx"), withTypes);
    expect(batched).toHaveLength(fp32.length);
    batched!.forEach((v, i) => expect(Math.abs(v - fp32[i]!)).toBeLessThan(Q8_VS_FP32));
    expectQ8(model.weights, logits);
  }, 150_000);
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

  it("builds the attention mask as torch exports do: Unsqueeze(1), Unsqueeze(2), Cast, Sub, Mul", async () => {
    const model = await writeFixtureModel({ shape: "tiny", out: await tempDir() });
    const graph = onnxProto.onnx.ModelProto.decode(await readFile(join(model.dir, "onnx/model.onnx"))).graph!;
    const consumer = (output: string) => graph.node!.filter((n) => n.input!.includes(output));
    const axes = (n: onnxProto.onnx.INodeProto) => {
      const init = graph.initializer!.find((t) => t.name === n.input![1])!;
      return Array.from(new BigInt64Array(new Uint8Array(init.rawData!).slice().buffer), Number);
    };
    const path: string[] = [];
    let next = consumer("attention_mask").filter((n) => n.opType === "Unsqueeze");
    expect(next).toHaveLength(1);
    expect(axes(next[0]!)).toEqual([1]);
    for (let i = 0; i < 5 && next.length === 1; i++) {
      path.push(next[0]!.opType!);
      if (i === 1) expect(axes(next[0]!)).toEqual([2]);
      next = consumer(next[0]!.output![0]!);
    }
    expect(path).toEqual(["Unsqueeze", "Unsqueeze", "Cast", "Sub", "Mul"]);
  });

  it("numbers XLM-R positions from input_ids != padding_idx, as RoBERTa's embeddings do", async () => {
    const model = await writeFixtureModel({ shape: "tiny", variant: "xlmr", out: await tempDir() });
    const graph = onnxProto.onnx.ModelProto.decode(await readFile(join(model.dir, "onnx/model.onnx"))).graph!;
    const producer = (output: string) => graph.node!.find((n) => n.output!.includes(output));
    const cumsum = graph.node!.find((n) => n.opType === "CumSum")!;
    const chain: string[] = [];
    for (let n = producer(cumsum.input![0]!); n && chain.length < 4; n = producer(n.input![0]!)) chain.push(n.opType!);
    expect(chain).toEqual(["Cast", "Not", "Equal"]);
    const equal = graph.node!.find((n) => n.opType === "Equal")!;
    expect(equal.input![0]).toBe("input_ids");
    expect(graph.node!.some((n) => n.input!.includes("attention_mask") && n.opType === "CumSum")).toBe(false);
  });

  it("quantizes as transformers.js and Optimum do: per-channel 7-bit weights, one quantizer per tensor", async () => {
    const model = await writeFixtureModel({ shape: "tiny", dtypes: ["q8"], out: await tempDir() });
    const graph = onnxProto.onnx.ModelProto.decode(await readFile(join(model.dir, "onnx/model_quantized.onnx"))).graph!;
    const init = (name: string) => graph.initializer!.find((t) => t.name === name);
    const matmuls = graph.node!.filter((n) => n.opType === "MatMulInteger");
    // Per layer: Q, K, V, attention output, intermediate, output; then pooler and classifier.
    expect(matmuls).toHaveLength(2 * 6 + 2);
    for (const m of matmuls) {
      const weight = init(m.input![1]!)!;
      const columns = Number(weight.dims![1]);
      const values = new Int8Array(new Uint8Array(weight.rawData!).slice().buffer);
      // 7-bit: every weight in [-64, 64], and each column's largest reaches the end of the range.
      let widest = 0;
      for (let o = 0; o < columns; o++) {
        let max = 0;
        for (let i = o; i < values.length; i += columns) max = Math.max(max, Math.abs(values[i]!));
        expect(max).toBe(WEIGHT_QMAX);
        widest = Math.max(widest, max);
      }
      expect(widest).toBe(WEIGHT_QMAX);
      // Per-channel: one zero point (0) per output column.
      const zeroPoint = init(m.input![3]!)!;
      expect(zeroPoint.dims!.map(Number)).toEqual([columns]);
      expect([...new Int8Array(new Uint8Array(zeroPoint.rawData!).slice().buffer)].every((z) => z === 0)).toBe(true);
    }
    // quantize_dynamic quantizes a tensor once however many MatMuls read it: Q, K and V share one.
    const quantizers = graph.node!.filter((n) => n.opType === "DynamicQuantizeLinear");
    expect(quantizers).toHaveLength(2 * 4 + 2);
    expect(new Set(quantizers.map((n) => n.input![0])).size).toBe(quantizers.length);
    // The per-column scales are the dequantization of the largest weight: absmax / 64.
    const scale = init("classifier.weight_scale")!;
    const absmax = Math.max(...Array.from(model.weights.classifier.weight, Math.abs));
    expect(scale.dims!.map(Number)).toEqual([1]);
    expect(new Float32Array(new Uint8Array(scale.rawData!).slice().buffer)[0]).toBeCloseTo(absmax / WEIGHT_QMAX, 7);
  });
});
