import {
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  truncate,
  utimes,
  writeFile,
} from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { isRerankError } from "@crossrank/core";
import type Ort from "onnxruntime-node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TINY } from "../../../test/setup/fixture-paths.js";
import { OnnxFormatError, splitWeights, WEIGHT_ALIGNMENT, type ByteSource } from "./external-weights.js";
import { fileSource, mapModelWeights } from "./mapped-model.js";

const ort = createRequire(import.meta.url)("onnxruntime-node") as typeof Ort;
const MODEL = join(TINY.bert, "onnx/model.onnx");
const QUANTIZED = join(TINY.bert, "onnx/model_quantized.onnx");
// The tiny fixture's tensors are all under the default threshold; a low one makes them move.
const SMALL = 1024;

const memory = (bytes: Uint8Array): ByteSource => ({ length: bytes.length, read: async (s, e) => bytes.slice(s, e) });

async function logits(path: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1 });
  const dims = [2, 6];
  const tensor = (values: number[]) => new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), dims);
  const feeds: Record<string, Ort.Tensor> = {
    input_ids: tensor([2, 10, 11, 3, 12, 3, 2, 13, 14, 15, 3, 0]),
    attention_mask: tensor([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]),
    token_type_ids: tensor([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0]),
  };
  for (const name of Object.keys(feeds)) if (!session.inputNames.includes(name)) delete feeds[name];
  const out = await session.run(feeds);
  await session.release();
  return out[session.outputNames[0]!]!.data as Float32Array;
}

describe("splitWeights", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crossrank-weights-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("leaves a model alone when no tensor is large enough to map", async () => {
    expect(await splitWeights(memory(await readFile(MODEL)), "model.onnx.data")).toBeUndefined();
  });

  it.each([
    ["fp32", MODEL],
    ["q8", QUANTIZED],
  ])("moves the large weights to aligned offsets, and the split model computes exactly what the original does (%s)", async (_, path) => {
    const original = await readFile(path);
    const split = (await splitWeights(memory(original), "model.onnx.data", SMALL))!;
    expect(split.weights.length).toBeGreaterThan(2);
    const data = Buffer.alloc(split.weightsLength);
    for (const w of split.weights) {
      expect(w.offset % WEIGHT_ALIGNMENT).toBe(0);
      expect(w.length).toBeGreaterThanOrEqual(SMALL);
      original.copy(data, w.offset, w.from, w.from + w.length);
    }
    const moved = split.weights.reduce((n, w) => n + w.length, 0);
    expect(split.model.length).toBeLessThan(original.length - moved + 4096);
    const out = join(dir, `split-${_}`);
    await rm(out, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(out));
    await writeFile(join(out, "model.onnx"), split.model);
    await writeFile(join(out, "model.onnx.data"), data);
    expect(Array.from(await logits(join(out, "model.onnx")))).toEqual(Array.from(await logits(path)));
    // A model whose weights are external already is left as it is.
    expect(await splitWeights(memory(split.model), "model.onnx.data", SMALL)).toBeUndefined();
  });

  it("rejects bytes that are not an ONNX model", async () => {
    await expect(splitWeights(memory(new TextEncoder().encode("not a model at all")), "d", SMALL)).rejects.toThrow(OnnxFormatError);
    const truncated = (await readFile(MODEL)).subarray(0, 5000);
    await expect(splitWeights(memory(truncated), "d", SMALL)).rejects.toThrow(/runs past its message/);
  });
});

describe("mapModelWeights", () => {
  let cache: string;
  let model: string;
  beforeAll(async () => {
    cache = await mkdtemp(join(tmpdir(), "crossrank-mapped-"));
    model = join(cache, "source.onnx");
    await writeFile(model, await readFile(MODEL));
  });
  afterAll(async () => rm(cache, { recursive: true, force: true }));

  it("makes the copy once, reuses it, and makes a new one when the model file changes", async () => {
    const weightsDir = join(cache, "weights");
    const first = await mapModelWeights(model, weightsDir, SMALL);
    expect(first).not.toBe(model);
    expect((await stat(`${first}.data`)).size).toBeGreaterThan(0);
    expect(JSON.parse(await readFile(join(first, "../source.json"), "utf8"))).toMatchObject({ source: expect.stringContaining("source.onnx") });
    const made = (await stat(first)).mtimeMs;
    expect(await mapModelWeights(model, weightsDir, SMALL)).toBe(first);
    expect((await stat(first)).mtimeMs).toBe(made);
    await utimes(model, new Date(), new Date(Date.now() + 5000));
    const second = await mapModelWeights(model, weightsDir, SMALL);
    expect(second).not.toBe(first);
    expect(Array.from(await logits(second))).toEqual(Array.from(await logits(model)));
    // A copy whose weights file lost its end is made again, not reused.
    await truncate(`${second}.data`, 100);
    expect(await mapModelWeights(model, weightsDir, SMALL)).toBe(second);
    expect(Array.from(await logits(second))).toEqual(Array.from(await logits(model)));
  });

  it("makes a new copy when the model is replaced in place keeping its size and mtime (rsync -t)", async () => {
    const weightsDir = join(cache, "weights-same-mtime");
    const file = join(cache, "replaced.onnx");
    const original = await readFile(MODEL);
    const stamp = new Date("2026-01-01T00:00:00Z");
    await writeFile(file, original);
    await utimes(file, stamp, stamp);
    const first = await mapModelWeights(file, weightsDir, SMALL);
    const before = Array.from(await logits(first));

    // Same length, other weights: every large tensor scaled by a half.
    const changed = Buffer.from(original);
    for (const w of (await splitWeights(memory(original), "d", SMALL))!.weights) {
      for (let at = w.from; at + 4 <= w.from + w.length; at += 4) {
        changed.writeFloatLE(changed.readFloatLE(at) * 0.5, at);
      }
    }
    await writeFile(file, changed);
    await utimes(file, stamp, stamp);
    const { size, mtimeMs } = await stat(file);
    expect(size).toBe(original.length);
    expect(mtimeMs).toBe(stamp.getTime());

    const second = await mapModelWeights(file, weightsDir, SMALL);
    const after = Array.from(await logits(second));
    expect(after).toEqual(Array.from(await logits(file)));
    expect(after).not.toEqual(before);
  });

  it("reuses the copy when only the file's inode or ctime moved, after checking its content", async () => {
    const weightsDir = join(cache, "weights-moved");
    const file = join(cache, "moved.onnx");
    const stamp = new Date("2026-02-01T00:00:00Z");
    await writeFile(file, await readFile(MODEL));
    await utimes(file, stamp, stamp);
    const first = await mapModelWeights(file, weightsDir, SMALL);
    const made = (await stat(first)).mtimeMs;
    // The same bytes written anew (as a restore from backup does): new ctime, same size, mtime and content.
    await writeFile(file, await readFile(MODEL));
    await utimes(file, stamp, stamp);
    expect(await mapModelWeights(file, weightsDir, SMALL)).toBe(first);
    expect((await stat(first)).mtimeMs).toBe(made);
    // The record learned the new ctime: the next load trusts it without hashing.
    const record = JSON.parse(await readFile(join(first, "../source.json"), "utf8"));
    expect(record.ctimeNs).toBe(String((await stat(file, { bigint: true })).ctimeNs));
    expect(record.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("returns the model itself when there is nothing to map, and fails when the cache cannot be written", async () => {
    expect(await mapModelWeights(model, join(cache, "other-weights"))).toBe(model);
    const notADir = join(cache, "a-file");
    await writeFile(notADir, "x");
    await expect(mapModelWeights(model, join(notADir, "weights"), SMALL)).rejects.toThrow(/ENOTDIR|EEXIST/);
  });

  describe("links planted in the cache", () => {
    let root: string;
    let outside: string;
    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), "crossrank-mapped-links-"));
      outside = await mkdtemp(join(tmpdir(), "crossrank-mapped-outside-"));
    });
    afterEach(async () => {
      await rm(root, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    });

    it("a link as the weights folder is refused with a typed error, and nothing is written behind it", async () => {
      await symlink(outside, join(root, "weights"));
      const error = await mapModelWeights(model, join(root, "weights"), SMALL).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isRerankError(error), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/refusing to write through a symbolic link .*weights/);
      expect(await readdir(outside, { recursive: true })).toEqual([]);
      expect((await lstat(join(root, "weights"))).isSymbolicLink()).toBe(true);
    });

    it("a copy folder that is a link is not loaded: it is replaced by a real copy, and its target kept", async () => {
      // A whole, current copy made elsewhere, then linked in where this model's copy belongs.
      const made = await mapModelWeights(model, join(outside, "weights"), SMALL);
      const key = basename(dirname(made));
      const target = join(outside, "weights", key);
      const before = (await readdir(target)).sort();
      await mkdir(join(root, "weights"));
      await symlink(target, join(root, "weights", key));

      const loaded = await mapModelWeights(model, join(root, "weights"), SMALL);
      expect(loaded).toBe(join(root, "weights", key, "model.onnx"));
      for (const path of [dirname(loaded), loaded, `${loaded}.data`, join(dirname(loaded), "source.json")]) {
        expect((await lstat(path)).isSymbolicLink(), path).toBe(false);
      }
      expect((await readdir(target)).sort()).toEqual(before);
      expect(Array.from(await logits(loaded))).toEqual(Array.from(await logits(model)));
    });

    it("a copy whose weights file or record is a link is made again, never read or written through", async () => {
      const weightsDir = join(root, "weights");
      for (const name of ["model.onnx.data", "source.json", "model.onnx"]) {
        const first = await mapModelWeights(model, weightsDir, SMALL);
        const planted = join(dirname(first), name);
        // The link's target has the very bytes of the file, so only the link itself can give it away.
        const target = join(outside, name);
        await writeFile(target, await readFile(planted));
        await rm(planted);
        await symlink(target, planted);
        const { mtimeMs } = await stat(target);

        const again = await mapModelWeights(model, weightsDir, SMALL);
        expect(again).toBe(first);
        expect((await lstat(planted)).isSymbolicLink(), name).toBe(false);
        expect((await stat(target)).mtimeMs).toBe(mtimeMs);
        expect(Array.from(await logits(again))).toEqual(Array.from(await logits(model)));
      }
    });
  });

  it("reads through a file handle without a short read", async () => {
    const handle = await open(MODEL, "r");
    const { size } = await stat(MODEL);
    const source = fileSource(handle, size);
    const bytes = await source.read(10, 20);
    await handle.close();
    expect(Buffer.from(bytes)).toEqual((await readFile(MODEL)).subarray(10, 20));
  });
});
