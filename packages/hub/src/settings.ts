import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Everything the hub code reads from the environment, read in one place so tests can pass their own. */
export interface HubSettings {
  endpoint: string;
  token: string | undefined;
  offline: boolean;
  cacheDir: string;
  /** Models rewritten with their weights in a mappable file (@crossrank/onnx), keyed by the original file. */
  weightsDir: string;
  modelsDir: string | undefined;
}

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

export function hubSettings(env: NodeJS.ProcessEnv = process.env): HubSettings {
  const cacheRoot = env.CROSSRANK_CACHE_DIR?.trim() || join(env.XDG_CACHE_HOME?.trim() || join(homedir(), ".cache"), "crossrank");
  return {
    endpoint: (env.HF_ENDPOINT?.trim() || "https://huggingface.co").replace(/\/+$/, ""),
    token: env.HF_TOKEN?.trim() || undefined,
    offline: truthy(env.CROSSRANK_OFFLINE) || truthy(env.HF_HUB_OFFLINE),
    cacheDir: resolve(cacheRoot, "models"),
    weightsDir: resolve(cacheRoot, "weights"),
    modelsDir: env.CROSSRANK_MODELS_DIR?.trim() ? resolve(env.CROSSRANK_MODELS_DIR.trim()) : undefined,
  };
}
