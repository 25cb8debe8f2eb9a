import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { inside } from "./names.js";
import { STANDARD_ONNX_FILES, type Dtype, type ModelRef } from "./registry.js";

/**
 * CROSSRANK_MODELS_DIR is a folder the user fills (with `crossrank models pull --dir`, or by hand): a model is a
 * folder in it named after the model, or `<org>/<name>` for a hub id. Links are allowed there (it is the user's
 * own folder), but a name never reaches outside it.
 */

function onnxFiles(ref: ModelRef | undefined, dtype: Dtype): string[] {
  return (ref?.entry?.files[dtype] ?? STANDARD_ONNX_FILES[dtype]).map((f) => f.path);
}

function isModelFolder(dir: string, onnx: string[]): boolean {
  return existsSync(join(dir, "config.json")) && onnx.every((f) => existsSync(join(dir, ...f.split("/"))));
}

/** The folder for a model name, trying the name as given, its registry name and its repo's own name. */
export async function findInModelsDir(
  modelsDir: string,
  name: string,
  ref: ModelRef | undefined,
  dtype: Dtype,
): Promise<{ dir?: string; looked: string[] }> {
  const names = [...new Set([name, ref?.name, ref ? basename(ref.repo) : undefined].filter((c): c is string => !!c))];
  const looked: string[] = [];
  for (const candidate of names) {
    // Names were checked when parsed; this makes sure no spelling of one leaves the folder.
    const dir = inside(modelsDir, candidate.split("/"), "model");
    if (isModelFolder(dir, onnxFiles(ref, dtype))) return { dir, looked };
    looked.push(dir);
  }
  return { looked };
}

export interface ModelsDirEntry {
  /** The folder's name below CROSSRANK_MODELS_DIR ("name" or "org/name"). */
  name: string;
  dir: string;
  /** The dtypes it has an ONNX graph for, with that graph's size. */
  dtypes: Partial<Record<Dtype, number>>;
}

async function entryOf(modelsDir: string, name: string): Promise<ModelsDirEntry | undefined> {
  const dir = join(modelsDir, ...name.split("/"));
  if (!existsSync(join(dir, "config.json"))) return undefined;
  const dtypes: Partial<Record<Dtype, number>> = {};
  for (const dtype of ["fp32", "q8"] as const) {
    const path = join(dir, STANDARD_ONNX_FILES[dtype][0]!.path);
    if (existsSync(path)) dtypes[dtype] = (await stat(path)).size;
  }
  return { name, dir, dtypes };
}

const MAX_ENTRIES = 10_000;

/** Every model folder in CROSSRANK_MODELS_DIR, one or two levels down (a few thousand at most). */
export async function listModelsDir(modelsDir: string): Promise<ModelsDirEntry[]> {
  if (!existsSync(modelsDir)) return [];
  const out: ModelsDirEntry[] = [];
  const top = (await readdir(modelsDir, { withFileTypes: true })).slice(0, MAX_ENTRIES);
  for (const first of top) {
    if (first.name.startsWith(".") || !(first.isDirectory() || first.isSymbolicLink())) continue;
    const direct = await entryOf(modelsDir, first.name);
    if (direct) {
      out.push(direct);
      continue;
    }
    let inner: string[] = [];
    try {
      inner = (await readdir(join(modelsDir, first.name))).filter((n) => !n.startsWith(".")).slice(0, MAX_ENTRIES);
    } catch {
      continue;
    }
    for (const second of inner) {
      const nested = await entryOf(modelsDir, `${first.name}/${second}`);
      if (nested) out.push(nested);
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
