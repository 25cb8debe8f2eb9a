import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";

/**
 * The record @crossrank/onnx writes last into each mapped-weights copy (`source.json`), and the rule that decides
 * whether a copy was made from its source as the source is now. The provider loads a copy only when this rule
 * says so and makes it again otherwise; `listWeightCopies` applies the same rule, so "current" means "loaded as
 * it is" and "stale" means "made again on next load".
 */
export interface WeightCopyRecord {
  /** The real path of the model file the copy was made from. */
  source: string;
  size: number;
  mtimeMs: number;
  /** The source's inode and ctime when copied: while both hold, the source is unchanged (any write moves ctime). */
  ino: string;
  ctimeNs: string;
  /** The source's content, for when inode or ctime moved without a change (a restored backup, a copied cache). */
  sha256: string;
  /** How many tensors went to the weights file, and its length. */
  weights: number;
  weightsLength: number;
}

export interface WeightSourceInfo {
  size: number;
  mtimeMs: number;
  ino: string;
  ctimeNs: string;
}

const HASH_CHUNK = 4 * 1024 * 1024;

/** The copy's folder name: its source's real path, size and mtime, so an edited source never finds the old copy. */
export function weightCopyKey(realPath: string, size: number, mtimeMs: number): string {
  return createHash("sha256").update(`${realPath}\0${size}\0${mtimeMs}`).digest("hex").slice(0, 24);
}

/** Size and mtime as the key uses them, inode and ctime exactly (as strings: they can pass 2^53). */
export async function weightSourceInfo(file: FileHandle): Promise<WeightSourceInfo> {
  const [plain, exact] = await Promise.all([file.stat(), file.stat({ bigint: true })]);
  return { size: plain.size, mtimeMs: plain.mtimeMs, ino: String(exact.ino), ctimeNs: String(exact.ctimeNs) };
}

/** SHA-256 of the first `length` bytes of an open file, read in chunks so the event loop runs between them. */
export async function hashOpenFile(file: FileHandle, length: number): Promise<string> {
  const hash = createHash("sha256");
  const chunk = Buffer.allocUnsafe(Math.min(HASH_CHUNK, Math.max(length, 1)));
  for (let done = 0; done < length; ) {
    const { bytesRead } = await file.read(chunk, 0, Math.min(chunk.length, length - done), done);
    if (bytesRead === 0) throw new Error(`short read at byte ${done}`);
    hash.update(chunk.subarray(0, bytesRead));
    done += bytesRead;
  }
  return hash.digest("hex");
}

/**
 * How a copy's record compares with its open source. "unchanged": size, mtime, inode and ctime as recorded.
 * "same-content": inode or ctime moved (a replacement that kept size and mtime, as rsync -t or a restored backup
 * do) but the bytes hash as recorded; the copy is still good, and its record may learn the new inode and ctime.
 * "changed": anything else, including a record from before inode, ctime and hash were kept.
 */
export async function compareWeightSource(
  record: Partial<WeightCopyRecord>,
  file: FileHandle,
  info: WeightSourceInfo,
): Promise<"unchanged" | "same-content" | "changed"> {
  if (record.size !== info.size || record.mtimeMs !== info.mtimeMs) return "changed";
  if (record.ino === info.ino && record.ctimeNs === info.ctimeNs) return "unchanged";
  if (typeof record.sha256 !== "string") return "changed";
  return (await hashOpenFile(file, info.size)) === record.sha256 ? "same-content" : "changed";
}
