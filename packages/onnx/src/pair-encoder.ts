import { RerankError } from "@crossrank/core";
import { checkField, isObject, readJsonObject } from "./json-file.js";
import { readPairTemplate, type PairTemplate } from "./pair-template.js";
import { SlicedEncoder } from "./sliced-encoding.js";

/** One model input: a (query, document-part) pair laid out by the template. */
export interface EncodedPair {
  /** Which document (index into the call's documents) this pair scores. */
  document: number;
  ids: number[];
  typeIds: number[];
  /** The document was cut to fit (longDocuments: "truncate"). */
  truncated?: boolean;
}

export interface TokenizerHandle {
  /** Token ids of a text without special tokens. */
  encode(text: string): number[];
  /** The same ids, tokenized in time slices and only as far as needed (see SlicedEncoder). */
  sliced: SlicedEncoder;
  template: PairTemplate;
  modelMaxLength: number;
  padTokenId: number | undefined;
}

/**
 * Loads the model's own tokenizer with @huggingface/tokenizers (the tokenizer engine of @huggingface/transformers,
 * without the rest of that library: a fraction of the import time and memory), fed only from local files.
 */
export async function loadTokenizer(tokenizerPath: string, tokenizerConfigPath: string | undefined): Promise<TokenizerHandle> {
  const json: Record<string, any> = await readJsonObject(tokenizerPath);
  const config: Record<string, any> = tokenizerConfigPath ? await readJsonObject(tokenizerConfigPath) : {};
  checkField(tokenizerPath, json, "model", "an object", isObject);
  checkField(tokenizerPath, json, "added_tokens", "an array of tokens", Array.isArray);
  const { Tokenizer } = await import("@huggingface/tokenizers");
  let tokenizer: InstanceType<typeof Tokenizer>;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (error) {
    throw new RerankError("MODEL_INVALID", `could not build the tokenizer from ${tokenizerPath}: ${(error as Error).message}`, { provider: "local", cause: error });
  }
  const vocab: Record<string, number> | undefined = Array.isArray(json.model?.vocab) ? undefined : json.model?.vocab;
  const addedIds = new Map<string, number>(
    (json.added_tokens ?? []).filter(isObject).map((t: { content: string; id: number }) => [t.content, t.id]),
  );
  const tokenId = (t: string) => addedIds.get(t) ?? vocab?.[t];
  const template = readPairTemplate(json, tokenId, tokenizerPath);
  const padToken = typeof config.pad_token === "string" ? config.pad_token : config.pad_token?.content;
  const encode = (text: string) => tokenizer.encode(text, { add_special_tokens: false }).ids;
  return {
    encode,
    sliced: new SlicedEncoder(encode),
    template,
    modelMaxLength: typeof config.model_max_length === "number" ? config.model_max_length : Number.POSITIVE_INFINITY,
    padTokenId: padToken === undefined ? undefined : tokenId(padToken),
  };
}

export interface TruncationPolicy {
  maxLength: number;
  longDocuments: "truncate" | "chunk";
  chunkOverlap: number | undefined;
}

function layout(template: PairTemplate, query: number[], doc: number[], document: number): EncodedPair {
  const ids: number[] = [];
  const typeIds: number[] = [];
  for (const part of template.parts) {
    const tokens = part.kind === "special" ? part.ids : part.which === "A" ? query : doc;
    for (const t of tokens) {
      ids.push(t);
      typeIds.push(part.typeId);
    }
  }
  return { document, ids, typeIds };
}

/** Tokens a pair can give the query and the document: the window less the template's special tokens. */
function budgetOf(template: PairTemplate, policy: TruncationPolicy): number {
  return policy.maxLength - template.specialCount;
}

/** Most query tokens any pair can use (the whole budget, when the document is empty). */
export function queryTokenLimit(template: PairTemplate, policy: TruncationPolicy): number {
  return budgetOf(template, policy);
}

/**
 * Most document tokens a pair can use beside a query of `queryLength` tokens: in chunk mode every token; when
 * truncating, the window left once the query is cut to its share (see `pairsOf`).
 */
export function documentTokenLimit(template: PairTemplate, policy: TruncationPolicy, queryLength: number): number {
  if (policy.longDocuments === "chunk") return Number.POSITIVE_INFINITY;
  const budget = budgetOf(template, policy);
  return budget - Math.min(queryLength, budget - Math.floor(budget / 2));
}

/**
 * The model inputs for one document. The document is cut first; the query is cut only when it would leave the
 * document less than half of the window, and then only to that half. The sequence always keeps the template's
 * closing separator (the tokenizer's own truncation drops it). `doc` may stop one token past
 * `documentTokenLimit`: that is enough to lay it out as the whole document would be.
 */
export function* pairsOf(
  template: PairTemplate,
  query: number[],
  doc: number[],
  document: number,
  policy: TruncationPolicy,
): Generator<EncodedPair> {
  const budget = budgetOf(template, policy);
  const half = Math.floor(budget / 2);
  const queryKeep = Math.min(query.length, budget - Math.min(doc.length, half));
  const q = queryKeep < query.length ? query.slice(0, queryKeep) : query;
  const window = budget - q.length;
  if (doc.length <= window) {
    yield layout(template, q, doc, document);
    return;
  }
  if (policy.longDocuments === "truncate") {
    yield { ...layout(template, q, doc.slice(0, window), document), truncated: true };
    return;
  }
  // MaxP: overlapping windows that each fit; the document scores as its best window.
  const overlap = Math.min(policy.chunkOverlap ?? Math.floor(window / 4), window - 1);
  const stride = window - overlap;
  for (let start = 0; ; start += stride) {
    yield layout(template, q, doc.slice(start, start + window), document);
    if (start + window >= doc.length) break;
  }
}

/** Every pair of `pairsOf` at once. */
export function encodePairs(
  template: PairTemplate,
  query: number[],
  doc: number[],
  document: number,
  policy: TruncationPolicy,
): EncodedPair[] {
  return Array.from(pairsOf(template, query, doc, document, policy));
}
