import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { isRerankError, RerankError } from "@crossrank/core";
import { isCached, readRecord, sha256File, snapshotDir, type FileRecord } from "./cache.js";
import { downloadFile, type ProgressEvent, type RetryPolicy } from "./download.js";
import { filesFor, lookupModel, REGISTRY, STANDARD_ONNX_FILES, type Dtype, type ModelRef } from "./registry.js";
import { hubSettings, type HubSettings } from "./settings.js";

export interface HubOptions {
  dtype?: Dtype;
  /** Defaults to the process environment (HF_ENDPOINT, HF_TOKEN, CROSSRANK_* variables). */
  settings?: HubSettings;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  retry?: RetryPolicy;
}

export interface ResolvedModel {
  dir: string;
  name: string;
  /** Where it was found: a models folder, the cache, or a download just now. */
  source: "models-dir" | "cache" | "download";
}

function refOrThrow(name: string): ModelRef {
  const ref = lookupModel(name);
  if (!ref) {
    throw new RerankError(
      "MODEL_NOT_FOUND",
      `unknown model "${name}": it is not in crossrank's registry (see: npx @crossrank/cli models list) and is not a Hugging Face hub id ("org/name")`,
      { provider: "local" },
    );
  }
  return ref;
}

function pullCommand(name: string, dtype: Dtype): string {
  return `npx @crossrank/cli models pull ${name}${dtype === "q8" ? " --dtype q8" : ""}`;
}

async function missingFiles(dir: string, ref: ModelRef, dtype: Dtype): Promise<string[]> {
  const missing: string[] = [];
  for (const f of filesFor(ref, dtype)) {
    if (f.optional) continue;
    if (!(await isCached(dir, f.path))) missing.push(f.path);
  }
  return missing;
}

/**
 * Finds a model folder for `local:<name>`: CROSSRANK_MODELS_DIR, then the cache, then (unless offline) a
 * download into the cache. Nothing is fetched before this is called.
 */
export async function resolveModel(name: string, options: HubOptions = {}): Promise<ResolvedModel> {
  const settings = options.settings ?? hubSettings();
  const dtype = options.dtype ?? "fp32";
  const ref = lookupModel(name);
  const looked: string[] = [];

  if (settings.modelsDir) {
    const candidates = [...new Set([name, ref?.name, ref ? basename(ref.repo) : undefined].filter((c): c is string => !!c))].map((c) =>
      join(settings.modelsDir!, c),
    );
    const onnx = (ref?.entry?.files[dtype] ?? STANDARD_ONNX_FILES[dtype]).map((f) => f.path);
    for (const dir of candidates) {
      if (existsSync(join(dir, "config.json")) && onnx.every((f) => existsSync(join(dir, f)))) return { dir, name, source: "models-dir" };
      looked.push(`${dir} (CROSSRANK_MODELS_DIR)`);
    }
  } else {
    looked.push("CROSSRANK_MODELS_DIR (not set)");
  }

  const known = refOrThrow(name);
  const cached = snapshotDir(settings.cacheDir, known);
  const missing = await missingFiles(cached, known, dtype);
  if (missing.length === 0) return { dir: cached, name: known.name, source: "cache" };
  looked.push(`${cached} (cache; missing ${missing.join(", ")})`);

  if (settings.offline) {
    throw new RerankError(
      "MODEL_NOT_FOUND",
      `local model "${known.name}" (${known.repo}@${known.revision}, ${dtype}) is not available and downloads are off (CROSSRANK_OFFLINE / HF_HUB_OFFLINE). Looked in: ${looked.join("; ")}. Fetch it while online with: ${pullCommand(known.name, dtype)} (add --dir <folder> and set CROSSRANK_MODELS_DIR=<folder> to ship it with an app)`,
      { provider: "local" },
    );
  }
  try {
    const pulled = await pullModel(known.name, { ...options, settings, dtype });
    return { dir: pulled.dir, name: known.name, source: "download" };
  } catch (error) {
    if (isRerankError(error, "DOWNLOAD_FAILED")) {
      throw new RerankError(
        "DOWNLOAD_FAILED",
        `${error.message}. Looked in: ${looked.join("; ")}. Retry later, or fetch it elsewhere with: ${pullCommand(known.name, dtype)} --dir <folder>, and set CROSSRANK_MODELS_DIR=<folder>`,
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
  const dtype = options.dtype ?? "fp32";
  const ref = refOrThrow(name);
  if (settings.offline) {
    throw new RerankError("DOWNLOAD_FAILED", `cannot pull ${ref.name}: downloads are off (CROSSRANK_OFFLINE / HF_HUB_OFFLINE is set)`, { provider: "local" });
  }
  const dir = options.dir ? join(options.dir, ref.name) : snapshotDir(settings.cacheDir, ref);
  const files: FileRecord[] = [];
  const downloaded: string[] = [];
  for (const file of filesFor(ref, dtype)) {
    if (await isCached(dir, file.path)) {
      files.push((await readRecord(dir, file.path))!);
      continue;
    }
    const record = await downloadFile({ settings, ref, file, destDir: dir, onProgress: options.onProgress, signal: options.signal, retry: options.retry });
    if (record) {
      files.push(record);
      downloaded.push(file.path);
    }
  }
  return { dir, name: ref.name, files, downloaded };
}

export interface VerifiedFile {
  path: string;
  status: "ok" | "mismatch" | "missing";
  detail?: string;
}

/** Re-hashes a cached (or pulled) model's files against what was recorded at download and the registry's pins. */
export async function verifyModel(name: string, options: HubOptions & { dir?: string } = {}): Promise<{ dir: string; files: VerifiedFile[] }> {
  const settings = options.settings ?? hubSettings();
  const dtype = options.dtype ?? "fp32";
  const ref = refOrThrow(name);
  const dir = options.dir ? join(options.dir, ref.name) : snapshotDir(settings.cacheDir, ref);
  const files: VerifiedFile[] = [];
  for (const spec of filesFor(ref, dtype)) {
    const record = await readRecord(dir, spec.path);
    const path = join(dir, spec.path);
    if (!record || !existsSync(path)) {
      if (!spec.optional || record) files.push({ path: spec.path, status: "missing" });
      continue;
    }
    const { size } = await stat(path);
    const digest = await sha256File(path);
    const expected = spec.sha256 ?? record.sha256;
    if (size !== record.size || digest !== expected) {
      files.push({ path: spec.path, status: "mismatch", detail: `sha256 ${digest} (${size} bytes), expected ${expected} (${record.size} bytes)` });
    } else {
      files.push({ path: spec.path, status: "ok" });
    }
  }
  return { dir, files };
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
}

export async function listModels(options: { settings?: HubSettings } = {}): Promise<ListedModel[]> {
  const settings = options.settings ?? hubSettings();
  const out: ListedModel[] = [];
  for (const entry of REGISTRY) {
    const ref = lookupModel(entry.name)!;
    const dir = snapshotDir(settings.cacheDir, ref);
    const cached: Partial<Record<Dtype, number>> = {};
    for (const dtype of ["fp32", "q8"] as const) {
      if ((await missingFiles(dir, ref, dtype)).length === 0) {
        let bytes = 0;
        for (const f of filesFor(ref, dtype)) bytes += (await readRecord(dir, f.path))?.size ?? 0;
        cached[dtype] = bytes;
      }
    }
    out.push({ name: entry.name, repo: entry.repo, revision: entry.revision, family: entry.family, license: entry.license, description: entry.description, cached });
  }
  return out;
}
