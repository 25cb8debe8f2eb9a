import { readFile } from "node:fs/promises";
import { RerankError } from "@crossrank/core";
import { readPairTemplate, type PairTemplate } from "./pair-template.js";

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
  template: PairTemplate;
  modelMaxLength: number;
  padTokenId: number | undefined;
}

/**
 * Loads the model's own tokenizer with @huggingface/tokenizers (the tokenizer engine of @huggingface/transformers,
 * without the rest of that library: a fraction of the import time and memory), fed only from local files.
 */
export async function loadTokenizer(tokenizerPath: string, tokenizerConfigPath: string | undefined): Promise<TokenizerHandle> {
  let json: Record<string, any>;
  let config: Record<string, any> = {};
  try {
    json = JSON.parse(await readFile(tokenizerPath, "utf8"));
    if (tokenizerConfigPath) config = JSON.parse(await readFile(tokenizerConfigPath, "utf8"));
  } catch (error) {
    throw new RerankError("MODEL_INVALID", `could not read the tokenizer files: ${(error as Error).message}`, { provider: "local", cause: error });
  }
  const { Tokenizer } = await import("@huggingface/tokenizers");
  let tokenizer: InstanceType<typeof Tokenizer>;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (error) {
    throw new RerankError("MODEL_INVALID", `could not build the tokenizer from ${tokenizerPath}: ${(error as Error).message}`, { provider: "local", cause: error });
  }
  const vocab: Record<string, number> | undefined = Array.isArray(json.model?.vocab) ? undefined : json.model?.vocab;
  const addedIds = new Map<string, number>((json.added_tokens ?? []).map((t: { content: string; id: number }) => [t.content, t.id]));
  const tokenId = (t: string) => addedIds.get(t) ?? vocab?.[t];
  const template = readPairTemplate(json, tokenId, tokenizerPath);
  const padToken = typeof config.pad_token === "string" ? config.pad_token : config.pad_token?.content;
  return {
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
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

/**
 * Builds the model inputs for one document. The document is cut first; the query is cut only when it would
 * leave the document less than half of the window, and then only to that half. The sequence always keeps the
 * template's closing separator (the tokenizer's own truncation drops it).
 */
export function encodePairs(template: PairTemplate, query: number[], doc: number[], document: number, policy: TruncationPolicy): EncodedPair[] {
  const budget = policy.maxLength - template.specialCount;
  const half = Math.floor(budget / 2);
  const queryKeep = Math.min(query.length, budget - Math.min(doc.length, half));
  const q = queryKeep < query.length ? query.slice(0, queryKeep) : query;
  const window = budget - q.length;
  if (doc.length <= window) return [layout(template, q, doc, document)];
  if (policy.longDocuments === "truncate") return [{ ...layout(template, q, doc.slice(0, window), document), truncated: true }];
  // MaxP: overlapping windows that each fit; the document scores as its best window.
  const overlap = Math.min(policy.chunkOverlap ?? Math.floor(window / 4), window - 1);
  const stride = window - overlap;
  const pairs: EncodedPair[] = [];
  for (let start = 0; ; start += stride) {
    pairs.push(layout(template, q, doc.slice(start, start + window), document));
    if (start + window >= doc.length) break;
  }
  return pairs;
}
