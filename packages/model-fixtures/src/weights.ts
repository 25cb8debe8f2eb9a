import { SeededRandom, seedFrom } from "./random.js";
import type { ModelShape, Variant } from "./shapes.js";

/** A dense layer as ONNX MatMul stores it: weight [in, out] row-major, bias [out]. */
export interface Dense {
  weight: Float32Array;
  bias: Float32Array;
  inFeatures: number;
  outFeatures: number;
}

export interface LayerNorm {
  gamma: Float32Array;
  beta: Float32Array;
}

export interface EncoderLayer {
  query: Dense;
  key: Dense;
  value: Dense;
  attentionOutput: Dense;
  attentionNorm: LayerNorm;
  intermediate: Dense;
  output: Dense;
  outputNorm: LayerNorm;
}

export interface BertWeights {
  variant: Variant;
  hiddenSize: number;
  numHeads: number;
  numLabels: number;
  vocabSize: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  /** XLM-R numbers positions from padding_idx + 1; BERT from 0. */
  paddingIdx: number;
  wordEmbeddings: Float32Array;
  positionEmbeddings: Float32Array;
  tokenTypeEmbeddings: Float32Array;
  embeddingNorm: LayerNorm;
  layers: EncoderLayer[];
  pooler: Dense;
  classifier: Dense;
}

/**
 * Seeded random weights with the sizes of the shape. Scales keep activations O(1) so that different inputs
 * give visibly different logits (a test of "same score in any batch" is meaningless if every score is equal).
 * These weights rank nothing: the models exist to test plumbing and to measure speed.
 */
export function generateWeights(shape: ModelShape, variant: Variant, vocabSize: number, seed: number): BertWeights {
  const h = shape.hiddenSize;
  const xlmr = variant === "xlmr";
  const numLabels = variant === "two-label" ? 2 : 1;
  const maxPositions = shape.maxPositionEmbeddings + (xlmr ? 2 : 0);
  const typeVocabSize = xlmr ? 1 : 2;
  const rng = (label: string) => new SeededRandom(seedFrom(`${seed}:${shape.name}:${variant}:${label}`));
  const dense = (label: string, inF: number, outF: number): Dense => ({
    weight: rng(`${label}.w`).normalArray(inF * outF, 1 / Math.sqrt(inF)),
    bias: rng(`${label}.b`).normalArray(outF, 0.1),
    inFeatures: inF,
    outFeatures: outF,
  });
  const norm = (label: string): LayerNorm => {
    const gamma = rng(`${label}.g`).normalArray(h, 0.1);
    for (let i = 0; i < h; i++) gamma[i] = (gamma[i] ?? 0) + 1;
    return { gamma, beta: rng(`${label}.b`).normalArray(h, 0.1) };
  };
  const layers: EncoderLayer[] = [];
  for (let l = 0; l < shape.numLayers; l++) {
    const p = `layer${l}`;
    layers.push({
      query: dense(`${p}.q`, h, h),
      key: dense(`${p}.k`, h, h),
      value: dense(`${p}.v`, h, h),
      attentionOutput: dense(`${p}.ao`, h, h),
      attentionNorm: norm(`${p}.ln1`),
      intermediate: dense(`${p}.ff1`, h, shape.intermediateSize),
      output: dense(`${p}.ff2`, shape.intermediateSize, h),
      outputNorm: norm(`${p}.ln2`),
    });
  }
  return {
    variant,
    hiddenSize: h,
    numHeads: shape.numHeads,
    numLabels,
    vocabSize,
    maxPositions,
    typeVocabSize,
    layerNormEps: xlmr ? 1e-5 : 1e-12,
    paddingIdx: xlmr ? 1 : 0,
    wordEmbeddings: rng("word").normalArray(vocabSize * h, 0.5),
    positionEmbeddings: rng("pos").normalArray(maxPositions * h, 0.5),
    tokenTypeEmbeddings: rng("type").normalArray(typeVocabSize * h, 0.5),
    embeddingNorm: norm("emb.ln"),
    layers,
    pooler: dense("pooler", h, h),
    classifier: dense("classifier", h, numLabels),
  };
}
