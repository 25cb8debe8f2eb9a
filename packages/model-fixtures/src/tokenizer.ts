import type { Variant } from "./shapes.js";
import { buildUnigramVocab, buildWordPieceVocab } from "./vocabulary.js";

export interface TokenizerFiles {
  "tokenizer.json": unknown;
  "tokenizer_config.json": unknown;
  "special_tokens_map.json": unknown;
  vocabSize: number;
  padTokenId: number;
}

const added = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

/** A tokenizer.json in the layout `tokenizers` writes for BERT uncased (WordPiece, [CLS] A [SEP] B [SEP]). */
function wordPiece(vocabSize: number | "tiny", maxLength: number): TokenizerFiles {
  const vocab = buildWordPieceVocab(vocabSize);
  const id = (t: string) => vocab.indexOf(t);
  const cls = id("[CLS]");
  const sep = id("[SEP]");
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map((t) => added(id(t), t)),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: {
        "[CLS]": { id: "[CLS]", ids: [cls], tokens: ["[CLS]"] },
        "[SEP]": { id: "[SEP]", ids: [sep], tokens: ["[SEP]"] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
  return {
    "tokenizer.json": tokenizer,
    "tokenizer_config.json": {
      tokenizer_class: "BertTokenizer",
      do_lower_case: true,
      model_max_length: maxLength,
      cls_token: "[CLS]",
      sep_token: "[SEP]",
      pad_token: "[PAD]",
      unk_token: "[UNK]",
      mask_token: "[MASK]",
      clean_up_tokenization_spaces: true,
    },
    "special_tokens_map.json": { cls_token: "[CLS]", sep_token: "[SEP]", pad_token: "[PAD]", unk_token: "[UNK]", mask_token: "[MASK]" },
    vocabSize: vocab.length,
    padTokenId: id("[PAD]"),
  };
}

/** A tokenizer.json in the layout of XLM-RoBERTa (Unigram + Metaspace, <s> A </s></s> B </s>). */
function unigram(vocabSize: number | "tiny", maxLength: number): TokenizerFiles {
  const vocab = buildUnigramVocab(vocabSize);
  const id = (t: string) => vocab.findIndex((p) => p[0] === t);
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: ["<s>", "<pad>", "</s>", "<unk>", "<mask>"].map((t) => added(id(t), t)),
    normalizer: { type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Replace", pattern: { Regex: " {2,}" }, content: " " }] },
    pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "<s>", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "</s>", type_id: 0 } },
        { SpecialToken: { id: "</s>", type_id: 0 } },
        { Sequence: { id: "B", type_id: 0 } },
        { SpecialToken: { id: "</s>", type_id: 0 } },
      ],
      special_tokens: {
        "<s>": { id: "<s>", ids: [id("<s>")], tokens: ["<s>"] },
        "</s>": { id: "</s>", ids: [id("</s>")], tokens: ["</s>"] },
      },
    },
    decoder: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true },
    model: { type: "Unigram", unk_id: id("<unk>"), vocab, byte_fallback: false },
  };
  return {
    "tokenizer.json": tokenizer,
    "tokenizer_config.json": {
      tokenizer_class: "XLMRobertaTokenizer",
      model_max_length: maxLength,
      bos_token: "<s>",
      eos_token: "</s>",
      sep_token: "</s>",
      cls_token: "<s>",
      unk_token: "<unk>",
      pad_token: "<pad>",
      mask_token: "<mask>",
      clean_up_tokenization_spaces: true,
    },
    "special_tokens_map.json": { bos_token: "<s>", eos_token: "</s>", sep_token: "</s>", cls_token: "<s>", unk_token: "<unk>", pad_token: "<pad>", mask_token: "<mask>" },
    vocabSize: vocab.length,
    padTokenId: id("<pad>"),
  };
}

export function buildTokenizer(variant: Variant, vocabSize: number | "tiny", maxLength: number): TokenizerFiles {
  return variant === "xlmr" ? unigram(vocabSize, maxLength) : wordPiece(vocabSize, maxLength);
}
