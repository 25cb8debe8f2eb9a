import { constants } from "node:fs";
import { lstat, open, readdir, readFile, rm, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { isAbandoned, realDir, realFile } from "./safe-fs.js";
import { hubSettings, type HubSettings } from "./settings.js";
import { compareWeightSource, weightCopyKey, weightSourceInfo, type WeightCopyRecord } from "./weight-record.js";

/**
 * Copies of models with their weights in a mappable file, made by @crossrank/onnx under
 * `$CROSSRANK_CACHE_DIR/weights/`: a folder per original file, named by a hash of its real path, size and mtime
 * (holding model.onnx, model.onnx.data and source.json, written last), and `<key>.tmp-<pid>-<hex>` folders while
 * one is being made. A copy whose original changed or is gone is never used again; whether it changed is decided
 * as the provider decides it (see weight-record.ts).
 */

const KEY = /^[0-9a-f]{24}$/;
const MAKING = /^([0-9a-f]{24})\.tmp-(\d+)-[0-9a-f]{8}$/;

export interface WeightCopy {
  key: string;
  dir: string;
  /** The model file it was made from, when its record says. */
  source: string | undefined;
  bytes: number;
  /**
   * current: what the provider loads for its source now; stale: its source changed or is gone; incomplete: a
   * copy missing part of itself (the provider would make it again); making: being made by a live process;
   * abandoned: half made by a process that is gone.
   */
  status: "current" | "stale" | "incomplete" | "making" | "abandoned";
  /** The latest write to the folder or a file in it. */
  modifiedAt: Date;
}

async function folderUsage(dir: string): Promise<{ bytes: number; mtimeMs: number }> {
  let bytes = 0;
  let mtimeMs = (await lstat(dir)).mtimeMs;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const info = await lstat(join(dir, entry.name));
    bytes += info.size;
    mtimeMs = Math.max(mtimeMs, info.mtimeMs);
  }
  return { bytes, mtimeMs };
}

/** The source a record names, opened for reading; a FIFO or device there is refused, never waited on. */
async function openSource(path: string): Promise<FileHandle | undefined> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    if ((await file.stat()).isFile()) return file;
  } catch {
    // Gone or unreadable: the provider could not load from it either.
  }
  await file?.close();
  return undefined;
}

/**
 * Whether the provider would load this copy for its source now: the folder's key matches the source's path,
 * size and mtime, and the source is unchanged by inode and ctime or, failing those, by content. Only reads; the
 * provider itself updates a record whose source was replaced by the same bytes.
 */
async function isCurrent(key: string, record: Partial<WeightCopyRecord> & { source: string }): Promise<boolean> {
  const file = await openSource(record.source);
  if (!file) return false;
  try {
    const info = await weightSourceInfo(file);
    if (weightCopyKey(record.source, info.size, info.mtimeMs) !== key) return false;
    return (await compareWeightSource(record, file, info)) !== "changed";
  } catch {
    return false;
  } finally {
    await file.close();
  }
}

async function statusOf(
  root: string,
  key: string,
  dir: string,
): Promise<{ status: WeightCopy["status"]; source: string | undefined }> {
  let record: Partial<WeightCopyRecord> & { source: string };
  try {
    // A record that is a link, or a FIFO, is no record: never followed, never waited on.
    if (!(await realFile(root, join(dir, "source.json")))) return { status: "incomplete", source: undefined };
    const parsed = JSON.parse(await readFile(join(dir, "source.json"), "utf8")) as Partial<WeightCopyRecord>;
    if (typeof parsed.source !== "string") return { status: "incomplete", source: undefined };
    record = { ...parsed, source: parsed.source };
    const data = await lstat(join(dir, "model.onnx.data"));
    await lstat(join(dir, "model.onnx"));
    if (data.size !== record.weightsLength) return { status: "incomplete", source: record.source };
  } catch {
    return { status: "incomplete", source: undefined };
  }
  return { status: (await isCurrent(key, record)) ? "current" : "stale", source: record.source };
}

/** The cache's own root: the weights folder itself must be a real folder below it, like everything in it. */
const weightsRoot = (settings: HubSettings) => dirname(settings.weightsDir);

/** Every copy and half-made copy under the weights folder; anything else there is left out (and left alone). */
export async function listWeightCopies(options: { settings?: HubSettings } = {}): Promise<WeightCopy[]> {
  const settings = options.settings ?? hubSettings();
  const root = weightsRoot(settings);
  let entries;
  try {
    // A link planted as the weights folder holds nothing the provider made: listed as empty, never followed.
    if (!(await realDir(root, settings.weightsDir))) return [];
    entries = await readdir(settings.weightsDir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: WeightCopy[] = [];
  for (const entry of entries) {
    // A link is never a copy the provider made: not listed, never removed.
    if (!entry.isDirectory()) continue;
    const dir = join(settings.weightsDir, entry.name);
    const making = MAKING.exec(entry.name);
    if (!KEY.test(entry.name) && !making) continue;
    const { bytes, mtimeMs } = await folderUsage(dir);
    const { status, source } = making
      ? {
          status: isAbandoned(Number(making[2]), mtimeMs, 0) ? ("abandoned" as const) : ("making" as const),
          source: undefined,
        }
      : await statusOf(root, entry.name, dir);
    out.push({ key: making?.[1] ?? entry.name, dir, source, bytes, status, modifiedAt: new Date(mtimeMs) });
  }
  return out.sort((a, b) => a.dir.localeCompare(b.dir));
}

export interface PruneOptions {
  settings?: HubSettings;
  /** Also remove current copies (the provider makes them again on next load). */
  all?: boolean;
}

/**
 * Removes copies nothing will load again (stale, incomplete) and half-made ones that were abandoned; with `all`,
 * current ones too. A copy being made by a live process is kept. Returns what was removed.
 */
export async function pruneWeightCopies(options: PruneOptions = {}): Promise<WeightCopy[]> {
  const settings = options.settings ?? hubSettings();
  const removed: WeightCopy[] = [];
  for (const copy of await listWeightCopies({ ...options, settings })) {
    const remove =
      ["stale", "incomplete", "abandoned"].includes(copy.status) || (options.all === true && copy.status === "current");
    if (!remove) continue;
    // Checked again just before: a link swapped in since the listing would send the removal elsewhere.
    if (!(await realDir(weightsRoot(settings), copy.dir))) continue;
    await rm(copy.dir, { recursive: true, force: true });
    removed.push(copy);
  }
  return removed;
}
