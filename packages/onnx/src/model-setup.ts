import {
  localConfigSchema,
  parseProviderConfig,
  RerankError,
  type LocalRerankerConfig,
  type ResolvedLocalConfig,
} from "@crossrank/core";
import { readModelConfig, type ModelConfig } from "./model-config.js";
import { checkModelFiles, resolveModelDir, type ModelFiles } from "./model-files.js";
import {
  documentTokenLimit,
  loadTokenizer,
  pairsOf,
  queryTokenLimit,
  type EncodedPair,
  type TokenizerHandle,
  type TruncationPolicy,
} from "./pair-encoder.js";
import { TimeSlicer } from "./time-slicer.js";

export interface PreparedModel {
  config: ResolvedLocalConfig;
  dir: string;
  name: string;
  files: ModelFiles;
  modelConfig: ModelConfig;
  tokenizer: TokenizerHandle;
  policy: TruncationPolicy;
  padId: number;
}

/** Everything about a local model except its ONNX session: where it is, how it tokenizes, how long a pair may be. */
export async function prepareModel(input: LocalRerankerConfig | ResolvedLocalConfig): Promise<PreparedModel> {
  const config = parseProviderConfig(localConfigSchema, input, "local");
  const { dir, name } = await resolveModelDir(config);
  const files = checkModelFiles(dir, name, config.dtype);
  const [modelConfig, tokenizer] = await Promise.all([readModelConfig(files.config), loadTokenizer(files.tokenizer, files.tokenizerConfig)]);
  const maxLength = Math.min(config.maxLength ?? Number.POSITIVE_INFINITY, tokenizer.modelMaxLength, modelConfig.maxPositions);
  if (maxLength < tokenizer.template.specialCount + 2) {
    throw new RerankError("INVALID_CONFIG", `config.maxLength: ${maxLength} tokens cannot hold a query and a document (the pair template alone takes ${tokenizer.template.specialCount})`, {
      provider: "local",
    });
  }
  return {
    config,
    dir,
    name,
    files,
    modelConfig,
    tokenizer,
    policy: { maxLength, longDocuments: config.longDocuments, chunkOverlap: config.chunkOverlap },
    padId: tokenizer.padTokenId ?? modelConfig.padTokenId ?? 0,
  };
}

/**
 * The model inputs for one call: the query encoded once, each distinct document once, each only as far as a pair
 * can use it, all in time slices (see TimeSlicer) that stop when the signal fires.
 */
export async function encodeAll(
  tokenizer: TokenizerHandle,
  policy: TruncationPolicy,
  query: string,
  documents: readonly string[],
  signal: AbortSignal | undefined,
): Promise<EncodedPair[]> {
  const slicer = new TimeSlicer(signal);
  const { template, sliced } = tokenizer;
  const queryIds = await sliced.encode(query, queryTokenLimit(template, policy), slicer);
  const documentLimit = documentTokenLimit(template, policy, queryIds.length);
  const seen = new Map<string, number[]>();
  const pairs: EncodedPair[] = [];
  for (let d = 0; d < documents.length; d++) {
    const text = documents[d]!;
    let ids = seen.get(text);
    if (!ids) seen.set(text, (ids = await sliced.encode(text, documentLimit, slicer)));
    for (const pair of pairsOf(template, queryIds, ids, d, policy)) {
      pairs.push(pair);
      await slicer.step();
    }
  }
  return pairs;
}
