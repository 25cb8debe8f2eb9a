import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { checkFilePath, checkRepoId, checkRevision, inside } from "./names.js";
import type { ModelRef } from "./registry.js";
import { realFile, writeFileBelow } from "./safe-fs.js";

/** What a downloaded file was checked against: the registry's sha256, the hub's sha256 or git blob id, or nothing. */
export type VerifiedBy = "registry-sha256" | "hub-sha256" | "hub-git-blob" | null;

/** What crossrank records beside each downloaded file, after it was verified. */
export interface FileRecord {
  path: string;
  size: number;
  sha256: string;
  /** The digest the hub announced (sha256 or git sha1), or null where it announced none. */
  hubDigest: string | null;
  /** Absent in records written before it existed; see verifiedByOf. */
  verifiedBy?: VerifiedBy;
  repo: string;
  revision: string;
  commit: string | null;
  downloadedAt: string;
}

/** How a record's file was checked when it was downloaded (older records say it through the digest's form). */
export function verifiedByOf(record: FileRecord, pinnedSha256?: string): VerifiedBy {
  if (record.verifiedBy !== undefined) return record.verifiedBy;
  if (pinnedSha256) return "registry-sha256";
  if (record.hubDigest && /^[0-9a-f]{64}$/.test(record.hubDigest)) return "hub-sha256";
  if (record.hubDigest && /^[0-9a-f]{40}$/.test(record.hubDigest)) return "hub-git-blob";
  return null;
}

/**
 * Cached snapshots live at <cacheDir>/<org>--<name>/<revision>/, like the hub's own cache. Hub ids never hold
 * "--", and a revision's "/" is escaped, so every model and revision has a folder of its own inside the cache.
 */
export function snapshotDir(cacheDir: string, ref: ModelRef): string {
  checkRepoId(ref.repo);
  checkRevision(ref.revision);
  return inside(cacheDir, [ref.repo.replace("/", "--"), encodeURIComponent(ref.revision)], "model");
}

/** Where a repo file goes in a model folder; refused if the name could leave it. */
export function filePath(dir: string, file: string): string {
  return inside(dir, checkFilePath(file).split("/"), "file");
}

const recordPath = (dir: string, file: string) =>
  inside(dir, [".crossrank", ...`${checkFilePath(file)}.json`.split("/")], "file");

/** The record of a file, read only through real folders below `root` (a planted link reads as no record). */
export async function readRecord(dir: string, file: string, root = dir): Promise<FileRecord | undefined> {
  try {
    const path = recordPath(dir, file);
    if (!(await realFile(root, path))) return undefined;
    return JSON.parse(await readFile(path, "utf8")) as FileRecord;
  } catch {
    return undefined;
  }
}

/** Written after the file itself is in place, so a record always describes a complete, verified file. */
export async function writeRecord(root: string, dir: string, record: FileRecord): Promise<void> {
  await writeFileBelow(root, recordPath(dir, record.path), JSON.stringify(record, null, 2));
}

export interface CacheCheck {
  root: string;
  ref: ModelRef;
  /** A record of a file nothing verified does not count. */
  requireDigest: boolean;
  pinnedSha256?: string;
}

/**
 * A file counts as cached only with its record (of this repo and revision), the recorded size on disk, and every
 * folder on the way a real one.
 */
export async function isCached(dir: string, file: string, check: CacheCheck): Promise<boolean> {
  const record = await readRecord(dir, file, check.root);
  if (!record || record.repo !== check.ref.repo || record.revision !== check.ref.revision) return false;
  if (check.requireDigest && verifiedByOf(record, check.pinnedSha256) === null) return false;
  if (check.pinnedSha256 && record.sha256 !== check.pinnedSha256) return false;
  const info = await realFile(check.root, filePath(dir, file));
  return info !== undefined && info.size === record.size;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

/** The git blob id of a file: sha1("blob <size>\0" + content), what the hub announces for files kept in git. */
export async function gitBlobId(path: string, size: number): Promise<string> {
  const hash = createHash("sha1").update(`blob ${size}\0`);
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}
