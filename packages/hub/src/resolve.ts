import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { isRerankError, RerankError } from "@crossrank/core";
import { filePath, isCached, readRecord, sha256File, snapshotDir, verifiedByOf, type FileRecord } from "./cache.js";
import { downloadFile, type ProgressEvent, type RetryPolicy } from "./download.js";
import { findInModelsDir } from "./models-dir.js";
import { checkFolder, inside, shown } from "./names.js";
import { filesFor, lookupModel, REGISTRY, requireModel, type Dtype, type ModelRef } from "./registry.js";
import { withoutToken } from "./redact-token.js";
import { realFile, removeStaleTemps } from "./safe-fs.js";
import { DEFAULT_HUB_TIMEOUT_MS, hubSettings, type HubSettings } from "./settings.js";

export interface HubOptions {
  dtype?: Dtype;
  /** Defaults to the process environment (HF_ENDPOINT, HF_TOKEN, CROSSRANK_* variables). */
  settings?: HubSettings;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  /**
   * Longest silence from the hub or a storage host, in ms, and the window a body must bring 1 KiB in; defaults
   * to CROSSRANK_HUB_TIMEOUT_MS, else 30 s.
   */
  timeoutMs?: number;
  /** Refuse files without a published digest; defaults to CROSSRANK_REQUIRE_DIGEST. */
  requireDigest?: boolean;
  /** Largest file accepted when neither the registry nor the hub declared its size. */
  maxFileBytes?: number;
}

export interface ResolvedModel {
  dir: string;
  name: string;
  /** Where it was found: a models folder, the cache, or a download just now. */
  source: "models-dir" | "cache" | "download";
}

function stopIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (!signal?.aborted) return;
  throw new RerankError("ABORTED", `${what} was aborted`, { provider: "local", cause: signal.reason });
}

/** The name to pull a ref by again: with its revision when that is not the default one. */
function nameWithRevision(ref: ModelRef): string {
  const usual = ref.entry ? ref.entry.revision : "main";
  return ref.revision === usual ? ref.name : `${ref.name}@${ref.revision}`;
}

function pullCommand(ref: ModelRef, dtype: Dtype): string {
  return `npx @crossrank/cli models pull ${nameWithRevision(ref)}${dtype === "q8" ? " --dtype q8" : ""}`;
}

/** Where a model's files go and what they must stay inside: the cache, or `<dir>/<name>/` below a --dir folder. */
function placeOf(ref: ModelRef, settings: HubSettings, dir: string | undefined): { root: string; dir: string } {
  // The cache's own root (CROSSRANK_CACHE_DIR), so a link planted as its models/ folder is refused too.
  if (dir === undefined) return { root: dirname(settings.cacheDir), dir: snapshotDir(settings.cacheDir, ref) };
  const root = checkFolder(dir, "--dir");
  return { root, dir: inside(root, ref.name.split("/"), "model") };
}

async function missingFiles(
  place: { root: string; dir: string },
  ref: ModelRef,
  dtype: Dtype,
  requireDigest: boolean,
): Promise<string[]> {
  const missing: string[] = [];
  for (const f of filesFor(ref, dtype)) {
    if (f.optional) continue;
    if (!(await isCached(place.dir, f.path, { root: place.root, ref, requireDigest, pinnedSha256: f.sha256 })))
      missing.push(f.path);
  }
  return missing;
}

/**
 * Finds a model folder for `local:<name>`: CROSSRANK_MODELS_DIR, then the cache, then (unless offline) a
 * download into the cache. Nothing is fetched before this is called.
 */
export async function resolveModel(name: string, options: HubOptions = {}): Promise<ResolvedModel> {
  stopIfAborted(options.signal, `resolving model ${shown(name)}`);
  const settings = options.settings ?? hubSettings();
  try {
    return await resolveWith(name, { ...options, settings });
  } catch (error) {
    throw withoutToken(error, settings.token);
  }
}

async function resolveWith(name: string, options: HubOptions & { settings: HubSettings }): Promise<ResolvedModel> {
  const settings = options.settings;
  const dtype = options.dtype ?? "fp32";
  const ref = lookupModel(name);
  const looked: string[] = [];

  if (settings.modelsDir) {
    const found = await findInModelsDir(settings.modelsDir, name, ref, dtype);
    if (found.dir) return { dir: found.dir, name, source: "models-dir" };
    looked.push(...found.looked.map((dir) => `${dir} (CROSSRANK_MODELS_DIR)`));
  } else {
    looked.push("CROSSRANK_MODELS_DIR (not set)");
  }

  const known = requireModel(name);
  const requireDigest = options.requireDigest ?? settings.requireDigest;
  const place = placeOf(known, settings, undefined);
  const cached = place.dir;
  const missing = await missingFiles(place, known, dtype, requireDigest);
  if (missing.length === 0) return { dir: cached, name: known.name, source: "cache" };
  looked.push(`${cached} (cache; missing ${missing.join(", ")})`);

  if (settings.offline) {
    throw new RerankError(
      "MODEL_NOT_FOUND",
      `local model "${known.name}" (${known.repo}@${known.revision}, ${dtype}) is not available and downloads ` +
        `are off (CROSSRANK_OFFLINE / HF_HUB_OFFLINE). Looked in: ${looked.join("; ")}. Fetch it while online ` +
        `with: ${pullCommand(known, dtype)} (add --dir <folder> and set CROSSRANK_MODELS_DIR=<folder> to ship it ` +
        "with an app)",
      { provider: "local" },
    );
  }
  try {
    // The ref itself, so a revision named as "org/name@rev" is the one downloaded.
    const pulled = await pullRef(known, { ...options, settings, dtype });
    return { dir: pulled.dir, name: known.name, source: "download" };
  } catch (error) {
    if (isRerankError(error, "DOWNLOAD_FAILED")) {
      throw new RerankError(
        "DOWNLOAD_FAILED",
        `${error.message}. Looked in: ${looked.join("; ")}. Retry later, or fetch it elsewhere with: ` +
          `${pullCommand(known, dtype)} --dir <folder>, and set CROSSRANK_MODELS_DIR=<folder>`,
        { provider: "local", cause: error.cause },
      );
    }
    throw error;
  }
}

export interface PullResult {
  dir: string;
  name: string;
  files: FileRecord[];
  /** Paths fetched by this call (the rest were already cached and verified). */
  downloaded: string[];
}

/** Downloads (or completes) one dtype of a model: into the cache, or into `<dir>/<name>/` for a models folder. */
export async function pullModel(name: string, options: HubOptions & { dir?: string } = {}): Promise<PullResult> {
  const settings = options.settings ?? hubSettings();
  try {
    return await pullRef(requireModel(name), { ...options, settings });
  } catch (error) {
    throw withoutToken(error, settings.token);
  }
}

async function pullRef(ref: ModelRef, options: HubOptions & { dir?: string }): Promise<PullResult> {
  const settings = options.settings ?? hubSettings();
  const dtype = options.dtype ?? "fp32";
  const place = placeOf(ref, settings, options.dir);
  if (settings.offline) {
    throw new RerankError(
      "DOWNLOAD_FAILED",
      `cannot pull ${ref.name}: downloads are off (CROSSRANK_OFFLINE / HF_HUB_OFFLINE is set)`,
      { provider: "local" },
    );
  }
  const requireDigest = options.requireDigest ?? settings.requireDigest;
  const timeoutMs = options.timeoutMs ?? settings.timeoutMs ?? DEFAULT_HUB_TIMEOUT_MS;
  // Temporary files of downloads that were killed: never those of a download still running elsewhere.
  if (existsSync(place.dir)) await removeStaleTemps(place.root, place.dir, timeoutMs);
  const files: FileRecord[] = [];
  const downloaded: string[] = [];
  for (const file of filesFor(ref, dtype)) {
    stopIfAborted(options.signal, `pull of ${ref.name}`);
    if (await isCached(place.dir, file.path, { root: place.root, ref, requireDigest, pinnedSha256: file.sha256 })) {
      files.push((await readRecord(place.dir, file.path, place.root))!);
      continue;
    }
    const record = await downloadFile({
      settings,
      ref,
      file,
      destDir: place.dir,
      root: place.root,
      onProgress: options.onProgress,
      signal: options.signal,
      retry: options.retry,
      timeoutMs,
      requireDigest,
      maxFileBytes: options.maxFileBytes,
    });
    if (record) {
      files.push(record);
      downloaded.push(file.path);
    }
  }
  return { dir: place.dir, name: ref.name, files, downloaded };
}

export interface VerifiedFile {
  path: string;
  /** "unverified": intact since download, but nothing published a digest to check it against when it came. */
  status: "ok" | "unverified" | "mismatch" | "missing";
  detail?: string;
}

/** Re-hashes a cached (or pulled) model's files against what was recorded at download and the registry's pins. */
export async function verifyModel(
  name: string,
  options: HubOptions & { dir?: string } = {},
): Promise<{ dir: string; files: VerifiedFile[] }> {
  const settings = options.settings ?? hubSettings();
  const dtype = options.dtype ?? "fp32";
  const ref = requireModel(name);
  const place = placeOf(ref, settings, options.dir);
  const files: VerifiedFile[] = [];
  for (const spec of filesFor(ref, dtype)) {
    const record = await readRecord(place.dir, spec.path, place.root);
    const path = filePath(place.dir, spec.path);
    const info = await realFile(place.root, path);
    if (!record || !info) {
      const detail = existsSync(path) ? "present, but not a regular file reached without links" : undefined;
      if (!spec.optional || record) files.push({ path: spec.path, status: "missing", ...(detail ? { detail } : {}) });
      continue;
    }
    const digest = await sha256File(path);
    const expected = spec.sha256 ?? record.sha256;
    if (info.size !== record.size || digest !== expected) {
      files.push({
        path: spec.path,
        status: "mismatch",
        detail: `sha256 ${digest} (${info.size} bytes), expected ${expected} (${record.size} bytes)`,
      });
    } else if (verifiedByOf(record, spec.sha256) === null) {
      files.push({
        path: spec.path,
        status: "unverified",
        detail: "unchanged since download, but the hub published no sha256 or git blob id to check it against",
      });
    } else {
      files.push({ path: spec.path, status: "ok" });
    }
  }
  return { dir: place.dir, files };
}

export interface ListedModel {
  name: string;
  repo: string;
  revision: string;
  family: string;
  license: string;
  description: string;
  /** Bytes on disk per dtype when every file of that dtype is cached. */
  cached: Partial<Record<Dtype, number>>;
  /** Each dtype CROSSRANK_MODELS_DIR has a complete folder of, and where. */
  modelsDir: Partial<Record<Dtype, string>>;
}

export async function listModels(options: { settings?: HubSettings } = {}): Promise<ListedModel[]> {
  const settings = options.settings ?? hubSettings();
  const out: ListedModel[] = [];
  for (const entry of REGISTRY) {
    const ref = lookupModel(entry.name)!;
    const place = placeOf(ref, settings, undefined);
    const cached: Partial<Record<Dtype, number>> = {};
    const modelsDir: Partial<Record<Dtype, string>> = {};
    for (const dtype of ["fp32", "q8"] as const) {
      if ((await missingFiles(place, ref, dtype, false)).length === 0) {
        let bytes = 0;
        for (const f of filesFor(ref, dtype)) bytes += (await readRecord(place.dir, f.path, place.root))?.size ?? 0;
        cached[dtype] = bytes;
      }
      if (settings.modelsDir) {
        const found = await findInModelsDir(settings.modelsDir, entry.name, ref, dtype);
        if (found.dir) modelsDir[dtype] = found.dir;
      }
    }
    out.push({
      name: entry.name,
      repo: entry.repo,
      revision: entry.revision,
      family: entry.family,
      license: entry.license,
      description: entry.description,
      cached,
      modelsDir,
    });
  }
  return out;
}
