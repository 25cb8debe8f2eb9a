import { constants, type Stats } from "node:fs";
import { lstat, mkdir, open, readdir, rename, rm, type FileHandle } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { basename, dirname, join, relative, sep } from "node:path";
import { RerankError } from "@crossrank/core";
import { isInside } from "./names.js";

/**
 * File-system access below a root (the model cache, or a --dir folder) that never goes through a symbolic link
 * or a non-folder planted below the root: a link in the cache cannot send a write, or a model load, elsewhere.
 * The root itself may be a link (a user's ~/.cache often is); only what lies below it is checked.
 */

function planted(path: string, what: string): RerankError {
  return new RerankError(
    "DOWNLOAD_FAILED",
    `refusing to write through ${what} in the model cache: ${path}. Remove it and try again`,
    {
      provider: "local",
    },
  );
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR")
      return undefined;
    throw error;
  }
}

function segmentsBelow(root: string, path: string): string[] {
  if (!isInside(root, path))
    throw new RerankError("INVALID_CONFIG", `${path} is outside ${root}`, { provider: "local" });
  return relative(root, path).split(sep);
}

/**
 * The file at `path` when it and every folder between `root` and it are real (not links), else undefined.
 * Used for reads: a planted link makes a cached file count as absent.
 */
export async function realFile(root: string, path: string): Promise<Stats | undefined> {
  const segments = segmentsBelow(root, path);
  let current = root;
  let info: Stats | undefined;
  for (const [i, segment] of segments.entries()) {
    current = join(current, segment);
    info = await lstatOrUndefined(current);
    if (!info) return undefined;
    const last = i === segments.length - 1;
    if (last ? !info.isFile() : !info.isDirectory()) return undefined;
  }
  return info;
}

/** Whether `path` is a real folder below `root`, reached without links. */
export async function realDir(root: string, path: string): Promise<boolean> {
  let current = root;
  for (const segment of segmentsBelow(root, path)) {
    current = join(current, segment);
    const info = await lstatOrUndefined(current);
    if (!info?.isDirectory()) return false;
  }
  return true;
}

/** Creates `dir` below `root` one level at a time, refusing any level that is a link or a file. */
export async function makeDirBelow(root: string, dir: string): Promise<void> {
  await mkdir(root, { recursive: true });
  let current = root;
  for (const segment of segmentsBelow(root, dir)) {
    current = join(current, segment);
    try {
      await mkdir(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const info = await lstat(current);
    if (info.isSymbolicLink()) throw planted(current, "a symbolic link");
    if (!info.isDirectory()) throw planted(current, "a file where a folder belongs");
  }
}

/** The name of a temporary file beside `dest`: which process wrote it, so a later run can tell if it is stale. */
export function tempName(dest: string, kind: "part" | "tmp"): string {
  return `${dest}.${process.pid}.${randomBytes(4).toString("hex")}.${kind}`;
}

/** A new file that did not exist (O_EXCL) and is not a link (O_NOFOLLOW): nothing planted can be written through. */
export function createExclusive(path: string): Promise<FileHandle> {
  return open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
}

/** Moves a finished temporary file into place; a link already at `dest` is replaced, never followed. */
export async function moveIntoPlace(root: string, temp: string, dest: string): Promise<void> {
  await makeDirBelow(root, dirname(dest));
  const existing = await lstatOrUndefined(dest);
  if (existing?.isDirectory()) throw planted(dest, "a folder where a file belongs");
  await rename(temp, dest);
}

/** Writes a small file below `root` through a fresh temporary file and a rename. */
export async function writeFileBelow(root: string, dest: string, data: string | Buffer): Promise<void> {
  await makeDirBelow(root, dirname(dest));
  const temp = tempName(dest, "tmp");
  try {
    const handle = await createExclusive(temp);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
    await moveIntoPlace(root, temp, dest);
  } finally {
    await rm(temp, { force: true });
  }
}

const TEMP = /\.(\d+)\.[0-9a-f]{8}\.(part|tmp)$/;
/** A temporary file this old was surely abandoned, whoever wrote it. */
export const STALE_AFTER_MS = 60 * 60 * 1000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether a temporary file (or folder) written by process `pid` and last written at `mtimeMs` was abandoned. A live
 * writer touches it at least every `idleMs` (else its own timeout ends it), so one untouched for longer whose
 * process is gone is abandoned; so is anything untouched for an hour (a process id seen from another container, or
 * reused, proves nothing then). A fresh one of another process is never taken for abandoned.
 */
export function isAbandoned(pid: number, mtimeMs: number, idleMs: number, now = Date.now()): boolean {
  const age = now - mtimeMs;
  if (age > STALE_AFTER_MS) return true;
  return pid !== process.pid && age > Math.max(60_000, 2 * idleMs) && !isAlive(pid);
}

/** Whether a file named like a download's temporary file (see tempName) was abandoned. */
export function isStaleTemp(name: string, mtimeMs: number, idleMs: number, now = Date.now()): boolean {
  const match = TEMP.exec(name);
  return match !== null && isAbandoned(Number(match[1]), mtimeMs, idleMs, now);
}

/** Removes abandoned temporary files below `dir` (which must be a real folder below `root`); returns their paths. */
export async function removeStaleTemps(root: string, dir: string, idleMs: number): Promise<string[]> {
  if (!(await realDir(root, dir))) return [];
  const removed: string[] = [];
  const walk = async (folder: string, depth: number): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      // Dirent types come from the directory itself: a link is seen as a link and never followed.
      if (entry.isDirectory() && depth < 10) await walk(path, depth + 1);
      else if (entry.isFile() && TEMP.test(entry.name)) {
        const info = await lstatOrUndefined(path);
        if (info?.isFile() && isStaleTemp(basename(path), info.mtimeMs, idleMs)) {
          await rm(path, { force: true });
          removed.push(path);
        }
      }
    }
  };
  await walk(dir, 0);
  return removed;
}
