/** Architecture sizes of the real cross-encoders the fixtures imitate (their config.json values). */
export interface ModelShape {
  name: string;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  /** "tiny" uses a small hand-made vocabulary; the real shapes use BERT's 30,522 entries. */
  vocabSize: number | "tiny";
  /** Which public model the shape copies; informational only. */
  imitates: string;
}

export const SHAPES = {
  tiny: {
    name: "tiny",
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    intermediateSize: 64,
    maxPositionEmbeddings: 64,
    vocabSize: "tiny",
    imitates: "(none: a minimal BERT for unit tests)",
  },
  "tinybert-l2": {
    name: "tinybert-l2",
    hiddenSize: 128,
    numLayers: 2,
    numHeads: 2,
    intermediateSize: 512,
    maxPositionEmbeddings: 512,
    vocabSize: 30522,
    imitates: "cross-encoder/ms-marco-TinyBERT-L-2-v2",
  },
  "minilm-l6": {
    name: "minilm-l6",
    hiddenSize: 384,
    numLayers: 6,
    numHeads: 12,
    intermediateSize: 1536,
    maxPositionEmbeddings: 512,
    vocabSize: 30522,
    imitates: "cross-encoder/ms-marco-MiniLM-L-6-v2",
  },
  "minilm-l12": {
    name: "minilm-l12",
    hiddenSize: 384,
    numLayers: 12,
    numHeads: 12,
    intermediateSize: 1536,
    maxPositionEmbeddings: 512,
    vocabSize: 30522,
    imitates: "cross-encoder/ms-marco-MiniLM-L-12-v2",
  },
} as const satisfies Record<string, ModelShape>;

export type ShapeName = keyof typeof SHAPES;

/**
 * bert: BERT inputs (input_ids, attention_mask, token_type_ids), one logit.
 * xlmr: XLM-RoBERTa inputs (no token_type_ids, positions from the mask), SentencePiece-style tokenizer, one logit.
 * two-label: BERT with a two-way classifier whose id2label names the relevant class.
 */
export const VARIANTS = ["bert", "xlmr", "two-label"] as const;
export type Variant = (typeof VARIANTS)[number];

export const DTYPES = ["fp32", "q8"] as const;
export type Dtype = (typeof DTYPES)[number];
