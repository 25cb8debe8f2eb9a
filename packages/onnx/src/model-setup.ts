import { localConfigSchema, parseProviderConfig, RerankError, throwIfAborted, type LocalRerankerConfig, type ResolvedLocalConfig } from "@crossrank/core";
import { readModelConfig, type ModelConfig } from "./model-config.js";
import { checkModelFiles, resolveModelDir, type ModelFiles } from "./model-files.js";
import { encodePairs, loadTokenizer, type EncodedPair, type TokenizerHandle, type TruncationPolicy } from "./pair-encoder.js";

/** Tokenising hundreds of long passages is CPU work on the main thread: yield this often so servers stay responsive. */
const YIELD_EVERY_MS = 10;

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

/** The model inputs for one call: the query encoded once, each distinct document once, in time slices. */
export async function encodeAll(
  tokenizer: TokenizerHandle,
  policy: TruncationPolicy,
  query: string,
  documents: readonly string[],
  signal: AbortSignal | undefined,
): Promise<EncodedPair[]> {
  const queryIds = tokenizer.encode(query);
  const seen = new Map<string, number[]>();
  const pairs: EncodedPair[] = [];
  let sliceStart = performance.now();
  for (let d = 0; d < documents.length; d++) {
    const text = documents[d]!;
    let ids = seen.get(text);
    if (!ids) seen.set(text, (ids = tokenizer.encode(text)));
    pairs.push(...encodePairs(tokenizer.template, queryIds, ids, d, policy));
    if (performance.now() - sliceStart > YIELD_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      throwIfAborted(signal, "local");
      sliceStart = performance.now();
    }
  }
  return pairs;
}
