import { closest, RerankError } from "@crossrank/core";
import { z } from "zod";
import { checkFilePath, checkRepoId, checkRevision, parseModelName, passes, shown } from "./names.js";
import registryJson from "../../../models/registry.json" with { type: "json" };

const fileSchema = z
  .object({
    path: z.string().refine(passes(checkFilePath), "not a safe file path"),
    /** Exact byte size and sha256, where the hub publishes them and they were confirmed. */
    size: z.number().int().positive().optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /** For listings only. */
    approxMB: z.number().positive().optional(),
  })
  .strict();

const modelSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]+$/),
    repo: z.string().refine(
      passes((v) => checkRepoId(v)),
      "not a hub id",
    ),
    /** A commit id pins the files; a branch name follows the repo. */
    revision: z.string().refine(passes(checkRevision), "not a valid revision"),
    source: z.string(),
    family: z.enum(["bert", "xlm-roberta", "deberta-v2"]),
    maxLength: z.number().int().positive(),
    labels: z.union([z.literal(1), z.literal(2)]),
    license: z.string(),
    description: z.string(),
    files: z.object({ fp32: z.array(fileSchema).min(1), q8: z.array(fileSchema).min(1) }).strict(),
  })
  .strict();

export const registrySchema = z
  .object({ $comment: z.string().optional(), version: z.literal(1), models: z.array(modelSchema) })
  .strict()
  .superRefine((registry, ctx) => {
    // Names are matched ignoring case, so two that differ only in case would make a lookup ambiguous.
    const seen = new Set<string>();
    registry.models.forEach((m, i) => {
      const key = m.name.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["models", i, "name"], message: "name used twice" });
      seen.add(key);
    });
  });

export type RegistryFile = z.infer<typeof fileSchema>;
export type RegistryModel = z.infer<typeof modelSchema>;
export type Dtype = "fp32" | "q8";

/** Files every model folder has besides its ONNX graph; `optional` ones may be absent from a repo. */
export const COMMON_FILES: readonly { path: string; optional?: boolean }[] = [
  { path: "config.json" },
  { path: "tokenizer.json" },
  { path: "tokenizer_config.json" },
  { path: "special_tokens_map.json", optional: true },
];

/** The standard layout, for hub ids that are not in the registry. */
export const STANDARD_ONNX_FILES: Record<Dtype, RegistryFile[]> = {
  fp32: [{ path: "onnx/model.onnx" }],
  q8: [{ path: "onnx/model_quantized.onnx" }],
};

export const REGISTRY: readonly RegistryModel[] = registrySchema.parse(registryJson).models;

export const DEFAULT_MODEL = "ms-marco-MiniLM-L-6-v2";

export function isPinned(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

/** A registry name ("ms-marco-MiniLM-L-6-v2"), its hub id, or any hub id "org/name" (standard layout, branch main). */
export interface ModelRef {
  name: string;
  repo: string;
  revision: string;
  entry: RegistryModel | undefined;
}

/** A registry name ignoring case (people type "MS-MARCO-MiniLM"); a hub id exactly, as the hub compares them. */
function registryEntry(id: string): RegistryModel | undefined {
  if (id.includes("/")) return REGISTRY.find((m) => m.repo === id || m.source === id);
  const wanted = id.toLowerCase();
  return REGISTRY.find((m) => m.name.toLowerCase() === wanted);
}

/**
 * The model a name stands for, or undefined for a plain name that is not in the registry. A name that could not
 * be a model name at all (a path, a control character, a malformed revision) is refused with INVALID_CONFIG.
 */
export function lookupModel(nameOrRepo: string): ModelRef | undefined {
  const { id, revision } = parseModelName(nameOrRepo);
  const entry = registryEntry(id);
  if (entry) return { name: entry.name, repo: entry.repo, revision: revision ?? entry.revision, entry };
  if (id.includes("/")) return { name: id, repo: id, revision: revision ?? "main", entry: undefined };
  return undefined;
}

/** The model a name stands for; a plain name not in the registry fails MODEL_NOT_FOUND, with the nearest name. */
export function requireModel(nameOrRepo: string): ModelRef {
  const ref = lookupModel(nameOrRepo);
  if (ref) return ref;
  const { id, revision } = parseModelName(nameOrRepo);
  const near = closest(id, REGISTRY.map((m) => m.name));
  const hint = near ? `did you mean ${shown(revision === undefined ? near : `${near}@${revision}`)}? ` : "";
  throw new RerankError(
    "MODEL_NOT_FOUND",
    `unknown model ${shown(nameOrRepo)}: ${hint}it is not in crossrank's registry ` +
      '(see: npx @crossrank/cli models list) and is not a Hugging Face hub id ("org/name")',
    { provider: "local" },
  );
}

/** Every file a model folder needs for one dtype. */
export function filesFor(
  ref: ModelRef,
  dtype: Dtype,
): { path: string; optional: boolean; size?: number; sha256?: string }[] {
  const onnx = ref.entry ? ref.entry.files[dtype] : STANDARD_ONNX_FILES[dtype];
  // The registry's sizes and digests describe its own revision; another revision is checked against the hub's.
  const pinned = ref.entry !== undefined && ref.revision === ref.entry.revision;
  return [
    ...COMMON_FILES.map((f) => ({ path: f.path, optional: f.optional ?? false })),
    ...onnx.map((f) => ({ path: f.path, optional: false, ...(pinned ? { size: f.size, sha256: f.sha256 } : {}) })),
  ];
}
