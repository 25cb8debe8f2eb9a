import { z } from "zod";
import { RerankError } from "./errors.js";

export const DEFAULT_LOCAL_MODEL = "ms-marco-MiniLM-L-6-v2";

const positiveInt = z.number().int().positive();

export const localConfigSchema = z
  .object({
    provider: z.literal("local"),
    /** A model name (resolved under CROSSRANK_MODELS_DIR) or a Hugging Face hub id. */
    model: z.string().min(1).optional(),
    /** A model directory in the Hugging Face ONNX layout; takes precedence over `model`. */
    modelPath: z.string().min(1).optional(),
    /** fp32 loads onnx/model.onnx, q8 loads onnx/model_quantized.onnx. */
    dtype: z.enum(["fp32", "q8"]).default("fp32"),
    /** ONNX Runtime intra-op threads; default: ONNX Runtime's choice (one per physical core). */
    threads: positiveInt.optional(),
    /** Upper bound on tokens per (query, document) pair; the model's own limits still apply. */
    maxLength: positiveInt.optional(),
    /** "truncate" scores the start of a long document; "chunk" scores overlapping windows and keeps the best. */
    longDocuments: z.enum(["truncate", "chunk"]).default("truncate"),
    /** Tokens two neighbouring windows share in "chunk" mode; default a quarter of the window. */
    chunkOverlap: z.number().int().nonnegative().optional(),
    /** Most padded tokens (batch size × longest pair) in one inference batch. */
    batchTokens: positiveInt.default(4096),
    /** Most pairs in one inference batch. */
    maxBatchSize: positiveInt.default(16),
  })
  .strict();

export type LocalRerankerConfig = z.input<typeof localConfigSchema>;
export type ResolvedLocalConfig = z.output<typeof localConfigSchema>;

/** Providers crossrank knows, the package that implements each, and the schema of its config. */
export const PROVIDERS = {
  local: { packageName: "@crossrank/onnx", schema: localConfigSchema },
} as const;

export type ProviderName = keyof typeof PROVIDERS;
export type RerankerConfig = LocalRerankerConfig;

export function isProviderName(name: string): name is ProviderName {
  return Object.hasOwn(PROVIDERS, name);
}

/** "local:ms-marco-MiniLM-L-6-v2", "local:./models/my-model", "local" → a config object. */
export function parseConfigString(spec: string): { provider: string; model?: string; modelPath?: string } {
  const trimmed = spec.trim();
  const colon = trimmed.indexOf(":");
  const provider = colon === -1 ? trimmed : trimmed.slice(0, colon);
  const rest = colon === -1 ? "" : trimmed.slice(colon + 1).trim();
  if (!provider) throw new RerankError("INVALID_CONFIG", `config string "${spec}" has no provider; expected e.g. "local:${DEFAULT_LOCAL_MODEL}"`);
  if (!rest) return { provider };
  // Paths are told apart from hub ids ("BAAI/bge-reranker-base") by how they start.
  if (provider === "local" && /^(\/|\.\.?\/|~\/|[A-Za-z]:\\)/.test(rest)) return { provider, modelPath: rest };
  return { provider, model: rest };
}

export function validateConfig(input: unknown): RerankerConfig {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new RerankError("INVALID_CONFIG", `reranker config must be an object or a string like "local:${DEFAULT_LOCAL_MODEL}"`);
  }
  const provider = (input as { provider?: unknown }).provider;
  if (typeof provider !== "string" || !isProviderName(provider)) {
    throw new RerankError(
      "INVALID_CONFIG",
      `config.provider must be one of ${Object.keys(PROVIDERS).map((p) => `"${p}"`).join(", ")}, got ${JSON.stringify(provider)}`,
    );
  }
  const parsed = PROVIDERS[provider].schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.length ? `config.${issue.path.join(".")}` : "config";
      return `${field}: ${issue.message}`;
    });
    throw new RerankError("INVALID_CONFIG", `invalid ${provider} reranker config: ${problems.join("; ")}`);
  }
  return parsed.data;
}
