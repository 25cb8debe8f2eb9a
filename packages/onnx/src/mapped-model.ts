import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, open, readFile, realpath, rename, rm, stat, writeFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { hubSettings } from "@crossrank/hub";
import { splitWeights, type ByteSource } from "./external-weights.js";

const MODEL = "model.onnx";
const DATA = "model.onnx.data";
const COPY_CHUNK = 4 * 1024 * 1024;

/** Written last into a copy's folder: what it was made from, and how long its weights file must be. */
interface CopyRecord {
  source: string;
  size: number;
  mtimeMs: number;
  weights: number;
  weightsLength: number;
}

async function isComplete(dir: string): Promise<boolean> {
  try {
    const record = JSON.parse(await readFile(join(dir, "source.json"), "utf8")) as CopyRecord;
    return existsSync(join(dir, MODEL)) && (await stat(join(dir, DATA))).size === record.weightsLength;
  } catch {
    return false;
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
 * external-weights.ts), made once under `weightsDir` and reused while the original keeps its size and mtime.
 * Returns `onnxPath` itself when the model has nothing to split. Throws on file-system errors (a read-only cache).
 * The weights are copied in chunks: making the copy never holds the model in memory. The provider calls it on
 * load; called at build or deploy time, it leaves the copy where a server with a read-only cache finds it.
 */
export async function mapModelWeights(onnxPath: string, weightsDir = hubSettings().weightsDir, minExternalBytes?: number): Promise<string> {
  const real = await realpath(onnxPath);
  const info = await stat(real);
  const key = createHash("sha256").update(`${real}\0${info.size}\0${info.mtimeMs}`).digest("hex").slice(0, 24);
  const dir = join(weightsDir, key);
  if (await isComplete(dir)) return join(dir, MODEL);

  const source = await open(real, "r");
  try {
    const split = await splitWeights(fileSource(source, info.size), DATA, minExternalBytes);
    if (!split) return onnxPath;
    // A copy that lost part of its weights file is made again.
    await rm(dir, { recursive: true, force: true });
    // Written to a private folder and renamed into place, so another process never sees half a model.
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    await mkdir(tmp, { recursive: true });
    try {
      const data = await open(join(tmp, DATA), "w");
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
      await writeFile(join(tmp, MODEL), split.model);
      await writeFile(join(tmp, "source.json"), `${JSON.stringify({ source: real, size: info.size, mtimeMs: info.mtimeMs, weights: split.weights.length, weightsLength: split.weightsLength } satisfies CopyRecord)}\n`);
      try {
        await rename(tmp, dir);
      } catch (error) {
        // Another process finished the same copy first: use that one.
        if (!existsSync(join(dir, MODEL))) throw error;
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  } finally {
    await source.close();
  }
  return join(dir, MODEL);
}
