import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { RerankError, trimTrailingSlashes } from "@crossrank/core";

/** Everything the hub code reads from the environment, read in one place so tests can pass their own. */
export interface HubSettings {
  endpoint: string;
  token: string | undefined;
  offline: boolean;
  cacheDir: string;
  /** Models rewritten with their weights in a mappable file (@crossrank/onnx), keyed by the original file. */
  weightsDir: string;
  modelsDir: string | undefined;
  /**
   * How long a hub or storage host may stay silent: before its response headers, and between two chunks of a
   * body; also the window in which a body must bring at least MIN_BYTES_PER_WINDOW (stall.ts). A stall fails the
   * attempt and is retried once.
   */
  timeoutMs: number;
  /** Refuse a file for which neither the registry nor the hub published a sha256 or git blob id. */
  requireDigest: boolean;
}

export const DEFAULT_HUB_TIMEOUT_MS = 30_000;

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

function timeoutFrom(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return DEFAULT_HUB_TIMEOUT_MS;
  const ms = Number(value.trim());
  if (!Number.isInteger(ms) || ms <= 0 || ms > 3_600_000) {
    throw new RerankError(
      "INVALID_CONFIG",
      "CROSSRANK_HUB_TIMEOUT_MS must be a whole number of milliseconds from 1 to 3600000, " +
        `got ${JSON.stringify(value.slice(0, 40))}`,
      {
        provider: "local",
      },
    );
  }
  return ms;
}

/**
 * What an HTTP header value may hold (RFC 9110 field-value: visible ASCII, space, tab, obs-text). A token with
 * anything else (a newline pasted in with it) would make fetch throw an error that quotes the whole header.
 */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The token, refused before any request when it cannot go in a header; the message never shows it. */
export function checkToken(token: string | undefined): string | undefined {
  if (token !== undefined && !HEADER_VALUE.test(token)) {
    throw new RerankError("INVALID_CONFIG", "HF_TOKEN holds a character not allowed in an HTTP header", {
      provider: "local",
    });
  }
  return token;
}

export function hubSettings(env: NodeJS.ProcessEnv = process.env): HubSettings {
  const cacheRoot =
    env.CROSSRANK_CACHE_DIR?.trim() || join(env.XDG_CACHE_HOME?.trim() || join(homedir(), ".cache"), "crossrank");
  return {
    endpoint: trimTrailingSlashes(env.HF_ENDPOINT?.trim() || "https://huggingface.co"),
    token: checkToken(env.HF_TOKEN?.trim() || undefined),
    offline: truthy(env.CROSSRANK_OFFLINE) || truthy(env.HF_HUB_OFFLINE),
    cacheDir: resolve(cacheRoot, "models"),
    weightsDir: resolve(cacheRoot, "weights"),
    modelsDir: env.CROSSRANK_MODELS_DIR?.trim() ? resolve(env.CROSSRANK_MODELS_DIR.trim()) : undefined,
    timeoutMs: timeoutFrom(env.CROSSRANK_HUB_TIMEOUT_MS),
    requireDigest: truthy(env.CROSSRANK_REQUIRE_DIGEST),
  };
}
