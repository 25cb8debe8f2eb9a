import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildModel } from "./graph.js";
import { SHAPES, type Dtype, type ShapeName, type Variant } from "./shapes.js";
import { buildTokenizer } from "./tokenizer.js";
import { generateWeights, type BertWeights } from "./weights.js";

export interface FixtureOptions {
  shape: ShapeName;
  variant?: Variant;
  /** Which ONNX files to write: fp32 → onnx/model.onnx, q8 → onnx/model_quantized.onnx. */
  dtypes?: Dtype[];
  seed?: number;
  out: string;
}

export interface FixtureModel {
  dir: string;
  weights: BertWeights;
  files: string[];
}

/**
 * Changes whenever the generator writes a different graph for the same options (a cache of generated folders
 * compares it): 2 = per-channel reduce-range q8 and the two-Unsqueeze attention mask; 3 = XLM-R positions from
 * input_ids.
 */
export const FIXTURE_FORMAT = "crossrank-model-fixtures/3";

export const FIXTURE_NOTICE =
  "crossrank test fixture: seeded random weights with a real model's shapes. It ranks nothing; use it only to test and benchmark plumbing.";

/** Writes a complete model directory in the Hugging Face ONNX layout (config, tokenizer files, onnx/). */
export async function writeFixtureModel(options: FixtureOptions): Promise<FixtureModel> {
  const shape = SHAPES[options.shape];
  const variant = options.variant ?? "bert";
  const dtypes = options.dtypes ?? ["fp32"];
  const seed = options.seed ?? 42;
  const xlmr = variant === "xlmr";
  const tokenizerMaxLength = shape.name === "tiny" ? 512 : shape.maxPositionEmbeddings;
  const tok = buildTokenizer(variant, shape.vocabSize, tokenizerMaxLength);
  const weights = generateWeights(shape, variant, tok.vocabSize, seed);

  const id2label =
    weights.numLabels === 2 ? { "0": "not_relevant", "1": "relevant" } : { "0": "LABEL_0" };
  const config = {
    _crossrank_fixture: FIXTURE_NOTICE,
    _imitates: shape.imitates,
    architectures: [xlmr ? "XLMRobertaForSequenceClassification" : "BertForSequenceClassification"],
    model_type: xlmr ? "xlm-roberta" : "bert",
    hidden_size: shape.hiddenSize,
    num_hidden_layers: shape.numLayers,
    num_attention_heads: shape.numHeads,
    intermediate_size: shape.intermediateSize,
    hidden_act: "gelu",
    max_position_embeddings: weights.maxPositions,
    type_vocab_size: weights.typeVocabSize,
    vocab_size: tok.vocabSize,
    layer_norm_eps: weights.layerNormEps,
    pad_token_id: tok.padTokenId,
    id2label,
    label2id: Object.fromEntries(Object.entries(id2label).map(([k, v]) => [v, Number(k)])),
  };

  await mkdir(join(options.out, "onnx"), { recursive: true });
  const files: string[] = [];
  const write = async (name: string, data: string | Uint8Array) => {
    await writeFile(join(options.out, name), data);
    files.push(name);
  };
  await write("config.json", JSON.stringify(config, null, 2));
  await write("tokenizer.json", JSON.stringify(tok["tokenizer.json"]));
  await write("tokenizer_config.json", JSON.stringify(tok["tokenizer_config.json"], null, 2));
  await write("special_tokens_map.json", JSON.stringify(tok["special_tokens_map.json"], null, 2));
  for (const dtype of dtypes) {
    const file = dtype === "fp32" ? "onnx/model.onnx" : "onnx/model_quantized.onnx";
    await write(file, buildModel(weights, dtype, "crossrank-model-fixtures"));
  }
  return { dir: options.out, weights, files };
}
