import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, open, readFile, realpath, rename, rm, stat, writeFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { hubSettings } from "@crossrank/hub";
import { splitWeights, type ByteSource, type SplitModel } from "./external-weights.js";

const MODEL = "model.onnx";
const DATA = "model.onnx.data";
const COPY_CHUNK = 4 * 1024 * 1024;

/** Written last into a copy's folder: what it was made from, and how long its weights file must be. */
interface CopyRecord {
  source: string;
  size: number;
  mtimeMs: number;
  /** The source's inode and ctime when copied: while both hold, the source is unchanged (any write moves ctime). */
  ino: string;
  ctimeNs: string;
  /** The source's content, for when inode or ctime moved without a change (a restored backup, a copied cache). */
  sha256: string;
  weights: number;
  weightsLength: number;
}

/** The record of a complete copy in `dir`, or undefined when there is none or it lost part of its weights. */
async function completeCopy(dir: string): Promise<CopyRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(join(dir, "source.json"), "utf8")) as CopyRecord;
    if (existsSync(join(dir, MODEL)) && (await stat(join(dir, DATA))).size === record.weightsLength) return record;
  } catch {
    // No copy, or one cut short while being made: made again.
  }
  return undefined;
}

/** SHA-256 of a file's bytes, read in chunks (the event loop runs between them). */
async function hashFile(file: FileHandle, length: number): Promise<string> {
  const hash = createHash("sha256");
  const chunk = Buffer.allocUnsafe(COPY_CHUNK);
  for (let done = 0; done < length; ) {
    const { bytesRead } = await file.read(chunk, 0, Math.min(COPY_CHUNK, length - done), done);
    if (bytesRead === 0) throw new Error(`short read at byte ${done}`);
    hash.update(chunk.subarray(0, bytesRead));
    done += bytesRead;
  }
  return hash.digest("hex");
}

type SourceInfo = { size: number; mtimeMs: number; ino: string; ctimeNs: string };

async function sourceInfo(file: FileHandle): Promise<SourceInfo> {
  const [plain, exact] = await Promise.all([file.stat(), file.stat({ bigint: true })]);
  return { size: plain.size, mtimeMs: plain.mtimeMs, ino: String(exact.ino), ctimeNs: String(exact.ctimeNs) };
}

/**
 * Whether a copy was made from the file as it is now. Size and mtime are in the folder's name; they can be kept
 * across a replacement (rsync -t, reproducible builds), inode and ctime cannot. When those moved, the content
 * decides: a hash of the file (about 0.1 s per 90 MB), and the record learns the new inode and ctime.
 */
async function isCopyOf(record: CopyRecord, dir: string, file: FileHandle, info: SourceInfo): Promise<boolean> {
  if (record.size !== info.size || record.mtimeMs !== info.mtimeMs) return false;
  if (record.ino === info.ino && record.ctimeNs === info.ctimeNs) return true;
  if (typeof record.sha256 !== "string" || (await hashFile(file, info.size)) !== record.sha256) return false;
  await writeRecord(dir, { ...record, ino: info.ino, ctimeNs: info.ctimeNs }).catch(() => undefined);
  return true;
}

/** Replaced whole (written beside it and renamed), so a reader never sees half a record. */
async function writeRecord(dir: string, record: CopyRecord): Promise<void> {
  const tmp = join(dir, `source.json.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  await writeFile(tmp, `${JSON.stringify(record)}\n`);
  await rename(tmp, join(dir, "source.json")).catch(async (error) => {
    await rm(tmp, { force: true });
    throw error;
  });
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
 * Returns `onnxPath` itself when the model has nothing to split. Throws on file-system errors (a read-only cache).
 * The weights are copied in chunks: making the copy never holds the model in memory. The provider calls it on
 * load; called at build or deploy time, it leaves the copy where a server with a read-only cache finds it.
 */
export async function mapModelWeights(onnxPath: string, weightsDir = hubSettings().weightsDir, minExternalBytes?: number): Promise<string> {
  const real = await realpath(onnxPath);
  const source = await open(real, "r");
  try {
    const info = await sourceInfo(source);
    const key = createHash("sha256").update(`${real}\0${info.size}\0${info.mtimeMs}`).digest("hex").slice(0, 24);
    const dir = join(weightsDir, key);
    const record = await completeCopy(dir);
    if (record && (await isCopyOf(record, dir, source, info))) return join(dir, MODEL);

    const split = await splitWeights(fileSource(source, info.size), DATA, minExternalBytes);
    if (!split) return onnxPath;
    // A copy that lost part of its weights file, or was made from other content, is made again.
    await rm(dir, { recursive: true, force: true });
    // Written to a private folder and renamed into place, so another process never sees half a model.
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    await mkdir(tmp, { recursive: true });
    try {
      const [, sha256] = await Promise.all([copyWeights(source, split, join(tmp, DATA)), hashFile(source, info.size)]);
      const after = await sourceInfo(source);
      if (after.ino !== info.ino || after.ctimeNs !== info.ctimeNs) {
        throw new Error(`${real} changed while it was being copied`);
      }
      await writeFile(join(tmp, MODEL), split.model);
      const { weights, weightsLength } = split;
      const made: CopyRecord = { source: real, ...info, sha256, weights: weights.length, weightsLength };
      await writeFile(join(tmp, "source.json"), `${JSON.stringify(made)}\n`);
      try {
        await rename(tmp, dir);
      } catch (error) {
        // Another process finished the same copy first: use that one.
        if (!existsSync(join(dir, MODEL))) throw error;
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return join(dir, MODEL);
  } finally {
    await source.close();
  }
}

async function copyWeights(source: FileHandle, split: SplitModel, to: string): Promise<void> {
  const data = await open(to, "w");
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
