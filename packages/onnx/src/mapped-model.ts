import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, realpath, rename, rm, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  compareWeightSource,
  createExclusive,
  hashOpenFile,
  hubSettings,
  makeDirBelow,
  realDir,
  realFile,
  weightCopyKey,
  weightSourceInfo,
  writeFileBelow,
  type WeightCopyRecord,
  type WeightSourceInfo,
} from "@crossrank/hub";
import { RerankError } from "@crossrank/core";
import { splitWeights, type ByteSource, type SplitModel } from "./external-weights.js";

const MODEL = "model.onnx";
const DATA = "model.onnx.data";
const RECORD = "source.json";
const COPY_CHUNK = 4 * 1024 * 1024;

/**
 * The record of a complete copy in `dir`, or undefined when there is none, it lost part of its weights, or any of
 * its files (or the folders on the way from `root`) is a link: a copy is loaded only as the real files it is.
 */
async function completeCopy(root: string, dir: string): Promise<WeightCopyRecord | undefined> {
  try {
    const [record, model, data] = await Promise.all(
      [RECORD, MODEL, DATA].map((name) => realFile(root, join(dir, name))),
    );
    if (!record || !model || !data) return undefined;
    const parsed = JSON.parse(await readFile(join(dir, RECORD), "utf8")) as WeightCopyRecord;
    if (data.size === parsed.weightsLength) return parsed;
  } catch {
    // No copy, or one cut short while being made: made again.
  }
  return undefined;
}

/**
 * Whether a copy was made from the file as it is now, by the rule listWeightCopies applies too (weight-record.ts
 * in @crossrank/hub). When only inode or ctime moved and the content hashed as recorded, the record learns them.
 */
async function isCopyOf(
  root: string,
  record: WeightCopyRecord,
  dir: string,
  file: FileHandle,
  info: WeightSourceInfo,
): Promise<boolean> {
  const found = await compareWeightSource(record, file, info);
  if (found === "changed") return false;
  if (found === "same-content") {
    const updated = { ...record, ino: info.ino, ctimeNs: info.ctimeNs };
    await writeFileBelow(root, join(dir, RECORD), `${JSON.stringify(updated)}\n`).catch(() => undefined);
  }
  return true;
}

/** A new file in a folder made for it: exclusive and never through a link. */
async function writeNew(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await createExclusive(path);
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}

export function fileSource(file: FileHandle, length: number): ByteSource {
  return {
    length,
    async read(start, end) {
      const buf = Buffer.allocUnsafe(end - start);
      const { bytesRead } = await file.read(buf, 0, buf.length, start);
      if (bytesRead !== buf.length) throw new Error(`short read at byte ${start}`);
      return buf;
    },
  };
}

/**
 * The model file a session should load: a copy of `onnxPath` with its weights in a mappable file (see
 * external-weights.ts), made once under `weightsDir` and reused while the original is unchanged (see isCopyOf).
 * Returns `onnxPath` itself when the model has nothing to split. Throws on file-system errors (a read-only cache)
 * and on a link planted as the weights folder (`weightsDir`'s parent is the cache's root, and nothing below it is
 * written, read or loaded through a link). The weights are copied in chunks: making the copy never holds the model
 * in memory. The provider calls it on load; called at build or deploy time, it leaves the copy where a server with
 * a read-only cache finds it.
 */
export async function mapModelWeights(
  onnxPath: string,
  weightsDir = hubSettings().weightsDir,
  minExternalBytes?: number,
): Promise<string> {
  const root = dirname(weightsDir);
  const real = await realpath(onnxPath);
  const source = await open(real, "r");
  try {
    const info = await weightSourceInfo(source);
    const dir = join(weightsDir, weightCopyKey(real, info.size, info.mtimeMs));
    const record = await completeCopy(root, dir);
    if (record && (await isCopyOf(root, record, dir, source, info))) return join(dir, MODEL);

    const split = await splitWeights(fileSource(source, info.size), DATA, minExternalBytes);
    if (!split) return onnxPath;
    await makeDirBelow(root, weightsDir);
    // A copy that lost part of its weights file, or was made from other content, is made again; a link planted
    // in its place is removed, not followed.
    await rm(dir, { recursive: true, force: true });
    // Written to a private folder and renamed into place, so another process never sees half a model.
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    await mkdir(tmp);
    try {
      if (!(await realDir(root, tmp))) throw planted(weightsDir);
      const [, sha256] = await Promise.all([
        copyWeights(source, split, join(tmp, DATA)),
        hashOpenFile(source, info.size),
      ]);
      const after = await weightSourceInfo(source);
      if (after.ino !== info.ino || after.ctimeNs !== info.ctimeNs) {
        throw new Error(`${real} changed while it was being copied`);
      }
      await writeNew(join(tmp, MODEL), split.model);
      const { weights, weightsLength } = split;
      const made: WeightCopyRecord = { source: real, ...info, sha256, weights: weights.length, weightsLength };
      await writeNew(join(tmp, RECORD), `${JSON.stringify(made)}\n`);
      try {
        await rename(tmp, dir);
      } catch (error) {
        // Another process finished the same copy first: use that one.
        if (!(await completeCopy(root, dir))) throw error;
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    if (!(await completeCopy(root, dir))) throw planted(weightsDir);
    return join(dir, MODEL);
  } finally {
    await source.close();
  }
}

function planted(weightsDir: string): RerankError {
  return new RerankError(
    "DOWNLOAD_FAILED",
    `refusing to write through a symbolic link in the model cache: ${weightsDir} changed while a copy with ` +
      "mappable weights was made in it. Remove any link there and try again",
    { provider: "local" },
  );
}

async function copyWeights(source: FileHandle, split: SplitModel, to: string): Promise<void> {
  const data = await createExclusive(to);
  try {
    const chunk = Buffer.allocUnsafe(COPY_CHUNK);
    for (const w of split.weights) {
      for (let done = 0; done < w.length; ) {
        const n = Math.min(COPY_CHUNK, w.length - done);
        const { bytesRead } = await source.read(chunk, 0, n, w.from + done);
        if (bytesRead !== n) throw new Error(`short read at byte ${w.from + done}`);
        await data.write(chunk, 0, n, w.offset + done);
        done += n;
      }
    }
    await data.truncate(split.weightsLength);
  } finally {
    await data.close();
  }
}
