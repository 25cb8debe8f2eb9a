import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import { RerankError, type ResolvedLocalConfig } from "@crossrank/core";

export const ONNX_FILES = { fp32: "onnx/model.onnx", q8: "onnx/model_quantized.onnx" } as const;
export const REQUIRED_FILES = ["config.json", "tokenizer.json"] as const;

export interface ModelFiles {
  dir: string;
  /** The name results report as `model`. */
  name: string;
  onnx: string;
  config: string;
  tokenizer: string;
  /** Optional in some exports; defaults apply when absent. */
  tokenizerConfig: string | undefined;
}

const P = "local";

/**
 * Where a model named by `model` (not by path) is looked for. Downloads from the hub are not done here.
 */
function candidateDirs(model: string, env: NodeJS.ProcessEnv): string[] {
  const root = env.CROSSRANK_MODELS_DIR?.trim();
  if (!root) return [];
  const dirs = [join(root, model)];
  if (model.includes("/")) dirs.push(join(root, basename(model)));
  return dirs;
}

export function resolveModelDir(config: ResolvedLocalConfig, env: NodeJS.ProcessEnv = process.env): { dir: string; name: string } {
  if (config.modelPath) {
    const dir = resolve(config.modelPath.replace(/^~(?=\/)/, env.HOME ?? "~"));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new RerankError(
        "MODEL_NOT_FOUND",
        `model folder not found: ${dir}. modelPath must be a directory in the Hugging Face ONNX layout (config.json, tokenizer.json, onnx/model.onnx)`,
        { provider: P },
      );
    }
    return { dir, name: config.model ?? basename(dir) };
  }
  const model = config.model!;
  if (isAbsolute(model)) return resolveModelDir({ ...config, modelPath: model }, env);
  const looked = candidateDirs(model, env);
  const found = looked.find((d) => existsSync(join(d, "config.json")));
  if (found) return { dir: found, name: model };
  const where = looked.length ? looked.join(", ") : "CROSSRANK_MODELS_DIR is not set";
  throw new RerankError(
    "MODEL_NOT_FOUND",
    `local model "${model}" was not found (looked in: ${where}). Pass modelPath: "/path/to/model" (a Hugging Face ONNX model folder) or set CROSSRANK_MODELS_DIR to a folder that contains ${model}/`,
    { provider: P },
  );
}

/** Checks that every file the provider will read exists before anything is loaded, listing what is missing. */
export function checkModelFiles(dir: string, name: string, dtype: "fp32" | "q8"): ModelFiles {
  const onnx = ONNX_FILES[dtype];
  const missing = [...REQUIRED_FILES, onnx].filter((f) => !existsSync(join(dir, f)));
  if (missing.length) {
    const present = listFiles(dir);
    const otherDtype = dtype === "fp32" ? "q8" : "fp32";
    const hint = missing.includes(onnx) && existsSync(join(dir, ONNX_FILES[otherDtype])) ? ` (this folder has the ${otherDtype} file: use dtype: "${otherDtype}")` : "";
    throw new RerankError(
      "MODEL_INVALID",
      `model folder ${dir} is missing ${missing.join(", ")}${hint}. Expected config.json, tokenizer.json, tokenizer_config.json and ${ONNX_FILES.fp32} (dtype "fp32") or ${ONNX_FILES.q8} (dtype "q8"); found: ${present.join(", ") || "nothing"}`,
      { provider: P },
    );
  }
  const tokenizerConfig = join(dir, "tokenizer_config.json");
  return {
    dir,
    name,
    onnx: join(dir, onnx),
    config: join(dir, "config.json"),
    tokenizer: join(dir, "tokenizer.json"),
    tokenizerConfig: existsSync(tokenizerConfig) ? tokenizerConfig : undefined,
  };
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...readdirSync(join(dir, entry.name)).map((f) => `${entry.name}/${f}`));
    else out.push(entry.name);
  }
  return out.sort();
}
