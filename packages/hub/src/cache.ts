import { createHash } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { ModelRef } from "./registry.js";

/** What crossrank records beside each downloaded file, after it was verified. */
export interface FileRecord {
  path: string;
  size: number;
  sha256: string;
  /** The digest the hub announced (sha256 or git sha1), or null where it announced none. */
  hubDigest: string | null;
  repo: string;
  revision: string;
  commit: string | null;
  downloadedAt: string;
}

/** Cached snapshots live at <cacheDir>/<org>--<name>/<revision>/, like the hub's own cache. */
export function snapshotDir(cacheDir: string, ref: ModelRef): string {
  return join(cacheDir, ref.repo.replace("/", "--"), ref.revision);
}

const recordPath = (dir: string, file: string) => join(dir, ".crossrank", `${file}.json`);

export async function readRecord(dir: string, file: string): Promise<FileRecord | undefined> {
  try {
    return JSON.parse(await readFile(recordPath(dir, file), "utf8")) as FileRecord;
  } catch {
    return undefined;
  }
}

/** Written after the file itself is in place, so a record always describes a complete, verified file. */
export async function writeRecord(dir: string, record: FileRecord): Promise<void> {
  const path = recordPath(dir, record.path);
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, JSON.stringify(record, null, 2));
  await rename(temp, path);
}

/** A file counts as cached only with its record and the recorded size on disk. */
export async function isCached(dir: string, file: string): Promise<boolean> {
  const record = await readRecord(dir, file);
  const full = join(dir, file);
  return record !== undefined && existsSync(full) && statSync(full).size === record.size;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}
