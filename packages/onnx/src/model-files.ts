import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import { RerankError, type ResolvedLocalConfig } from "@crossrank/core";
import { hubSettings, resolveModel } from "@crossrank/hub";

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

export interface ResolveOptions {
  /** Ends the lookup and any download it starts (an uncached model is fetched while the reranker is created). */
  signal?: AbortSignal;
  /** Longest silence from the hub before an attempt fails; defaults to CROSSRANK_HUB_TIMEOUT_MS, else 30 s. */
  hubTimeoutMs?: number;
}

/**
 * The model folder for a config: `modelPath` as given, else the model name resolved by @crossrank/hub
 * (CROSSRANK_MODELS_DIR, then the cache, then a verified download unless offline).
 */
export async function resolveModelDir(
  config: ResolvedLocalConfig,
  env: NodeJS.ProcessEnv = process.env,
  options: ResolveOptions = {},
): Promise<{ dir: string; name: string }> {
  const modelPath = config.modelPath ?? (config.model && isAbsolute(config.model) ? config.model : undefined);
  if (modelPath) {
    const dir = resolve(modelPath.replace(/^~(?=\/)/, env.HOME ?? "~"));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new RerankError(
        "MODEL_NOT_FOUND",
        `model folder not found: ${dir}. modelPath must be a directory in the Hugging Face ONNX layout ` +
          "(config.json, tokenizer.json, onnx/model.onnx)",
        { provider: P },
      );
    }
    return { dir, name: config.model ?? basename(dir) };
  }
  const settings = hubSettings(env);
  const resolved = await resolveModel(config.model!, {
    dtype: config.dtype,
    settings,
    timeoutMs: options.hubTimeoutMs ?? settings.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { dir: resolved.dir, name: resolved.name };
}

/** Checks that every file the provider will read exists before anything is loaded, listing what is missing. */
export function checkModelFiles(dir: string, name: string, dtype: "fp32" | "q8"): ModelFiles {
  const onnx = ONNX_FILES[dtype];
  const missing = [...REQUIRED_FILES, onnx].filter((f) => !existsSync(join(dir, f)));
  if (missing.length) {
    const present = listFiles(dir);
    const otherDtype = dtype === "fp32" ? "q8" : "fp32";
    const hint =
      missing.includes(onnx) && existsSync(join(dir, ONNX_FILES[otherDtype]))
        ? ` (this folder has the ${otherDtype} file: use dtype: "${otherDtype}")`
        : "";
    throw new RerankError(
      "MODEL_INVALID",
      `model folder ${dir} is missing ${missing.join(", ")}${hint}. Expected config.json, tokenizer.json, ` +
        `tokenizer_config.json and ${ONNX_FILES.fp32} (dtype "fp32") or ${ONNX_FILES.q8} (dtype "q8"); ` +
        `found: ${present.join(", ") || "nothing"}`,
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
