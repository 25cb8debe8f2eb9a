import onnxProto from "onnx-proto";
import type { BertWeights, Dense, LayerNorm } from "./weights.js";
import { quantizeDense } from "./quantize.js";
import type { Dtype } from "./shapes.js";

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;
const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

type Attr = number | number[] | { float: number };

/** Collects nodes and initializers in the order a PyTorch export would emit them. */
export class GraphBuilder {
  readonly nodes: INodeProto[] = [];
  readonly initializers: ITensorProto[] = [];
  /** DynamicQuantizeLinear outputs [quantized, scale, zero point] by the tensor they quantize. */
  readonly quantizedActivations = new Map<string, [string, string, string]>();
  private counter = 0;

  fresh(prefix: string): string {
    return `/${prefix}_${this.counter++}`;
  }

  node(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, outputCount = 1, name = opType): string[] {
    const outputs = Array.from({ length: outputCount }, () => this.fresh(`${name}_output`));
    const attribute: IAttributeProto[] = Object.entries(attrs).map(([key, v]) => {
      if (Array.isArray(v)) return { name: key, type: A.INTS, ints: v };
      if (typeof v === "object") return { name: key, type: A.FLOAT, f: v.float };
      return { name: key, type: A.INT, i: v };
    });
    this.nodes.push({ opType, input: inputs, output: outputs, name: this.fresh(name), attribute });
    return outputs;
  }

  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, name = opType): string {
    return this.node(opType, inputs, attrs, 1, name)[0]!;
  }

  private init(name: string, dataType: number, dims: number[], bytes: Uint8Array): string {
    this.initializers.push({ name, dataType, dims, rawData: bytes });
    return name;
  }

  float(name: string, dims: number[], data: Float32Array): string {
    return this.init(name, T.FLOAT, dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  int64(name: string, dims: number[], data: number[]): string {
    const arr = BigInt64Array.from(data.map((d) => BigInt(d)));
    return this.init(name, T.INT64, dims, new Uint8Array(arr.buffer));
  }

  int8(name: string, dims: number[], data: Int8Array): string {
    return this.init(name, T.INT8, dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  scalarFloat(name: string, value: number): string {
    return this.float(name, [], Float32Array.of(value));
  }
}

/**
 * A MatMul as onnxruntime.quantization.quantize_dynamic writes it with per_channel and reduce_range (the
 * transformers.js / Optimum recipe): one DynamicQuantizeLinear per activation tensor, shared by every MatMul that
 * reads it, and MatMulInteger against int8 weights with one scale per output column.
 */
function quantizedMatMul(g: GraphBuilder, input: string, d: Dense, name: string): string {
  const { q, scales } = quantizeDense(d);
  const wq = g.int8(`${name}.weight_quantized`, [d.inFeatures, d.outFeatures], q);
  const ws = g.float(`${name}.weight_scale`, [d.outFeatures], scales);
  const wzp = g.int8(`${name}.weight_zero_point`, [d.outFeatures], new Int8Array(d.outFeatures));
  let activation = g.quantizedActivations.get(input);
  if (!activation) {
    const [xq, xs, xzp] = g.node("DynamicQuantizeLinear", [input], {}, 3, `${name}/MatMul_quant`);
    activation = [xq!, xs!, xzp!];
    g.quantizedActivations.set(input, activation);
  }
  const [xq, xs, xzp] = activation;
  const acc = g.op("MatMulInteger", [xq, wq, xzp, wzp], {}, `${name}/MatMul_quant`);
  const accF = g.op("Cast", [acc], { to: T.FLOAT }, `${name}/MatMul_quant_output_quantized_cast`);
  const scale = g.op("Mul", [xs, ws], {}, `${name}/MatMul_quant_scales_mul`);
  return g.op("Mul", [accF, scale], {}, `${name}/MatMul_quant_output_quantized_mul`);
}

function linear(g: GraphBuilder, input: string, d: Dense, name: string, dtype: Dtype): string {
  const bias = g.float(`${name}.bias`, [d.outFeatures], d.bias);
  const weight = () => g.float(`${name}.weight`, [d.inFeatures, d.outFeatures], d.weight);
  const product =
    dtype === "fp32" ? g.op("MatMul", [input, weight()], {}, `${name}/MatMul`) : quantizedMatMul(g, input, d, name);
  return g.op("Add", [product, bias], {}, `${name}/Add`);
}

function layerNorm(g: GraphBuilder, input: string, n: LayerNorm, name: string, hidden: number, eps: number): string {
  const gamma = g.float(`${name}.weight`, [hidden], n.gamma);
  const beta = g.float(`${name}.bias`, [hidden], n.beta);
  return g.op("LayerNormalization", [input, gamma, beta], { axis: -1, epsilon: { float: eps } }, `${name}/LayerNormalization`);
}

/** GELU as torch exports the exact (erf) form: x * 0.5 * (1 + erf(x / sqrt(2))). */
function gelu(g: GraphBuilder, input: string, name: string): string {
  const div = g.op("Div", [input, g.scalarFloat(`${name}.sqrt2`, Math.SQRT2)], {}, `${name}/Div`);
  const erf = g.op("Erf", [div], {}, `${name}/Erf`);
  const plus = g.op("Add", [erf, g.scalarFloat(`${name}.one`, 1)], {}, `${name}/Add`);
  const mul = g.op("Mul", [input, plus], {}, `${name}/Mul`);
  return g.op("Mul", [mul, g.scalarFloat(`${name}.half`, 0.5)], {}, `${name}/Mul_1`);
}

/**
 * The BERT (or XLM-R) sequence-classification forward pass with the operator pattern of a standard
 * PyTorch/Optimum ONNX export at opset 17: Gather embeddings, LayerNormalization, MatMul+Add projections,
 * Reshape/Transpose heads, scaled MatMul attention with an additive mask, Softmax, erf GELU, pooler, classifier.
 */
export function buildModel(w: BertWeights, dtype: Dtype, producer: string): Uint8Array {
  const g = new GraphBuilder();
  const h = w.hiddenSize;
  const headDim = h / w.numHeads;
  const xlmr = w.variant === "xlmr";

  const wordEmb = g.float("embeddings.word_embeddings.weight", [w.vocabSize, h], w.wordEmbeddings);
  const posEmb = g.float("embeddings.position_embeddings.weight", [w.maxPositions, h], w.positionEmbeddings);
  let x = g.op("Gather", [wordEmb, "input_ids"], {}, "/embeddings/word_embeddings/Gather");

  if (xlmr) {
    // RoBERTa numbers real tokens from padding_idx + 1 and gives padding the padding index, finding padding in
    // input_ids (create_position_ids_from_input_ids), not in the attention mask; torch exports it this way.
    const padIdx = g.int64("embeddings.padding_idx", [], [w.paddingIdx]);
    const isPad = g.op("Equal", ["input_ids", padIdx], {}, "/embeddings/Equal");
    const notPad = g.op("Cast", [g.op("Not", [isPad], {}, "/embeddings/Not")], { to: T.INT32 }, "/embeddings/Cast");
    const cum = g.op("CumSum", [notPad, g.int64("embeddings.cumsum_axis", [], [1])], {}, "/embeddings/CumSum");
    const cum32 = g.op("Cast", [cum], { to: T.INT32 }, "/embeddings/Cast_1");
    const masked = g.op("Mul", [cum32, notPad], {}, "/embeddings/Mul");
    const long = g.op("Cast", [masked], { to: T.INT64 }, "/embeddings/Cast_2");
    const ids = g.op("Add", [long, padIdx], {}, "/embeddings/Add_pos");
    const typeRow = g.float("embeddings.token_type_embeddings.row0", [h], w.tokenTypeEmbeddings.subarray(0, h));
    x = g.op("Add", [x, typeRow], {}, "/embeddings/Add");
    x = g.op("Add", [x, g.op("Gather", [posEmb, ids], {}, "/embeddings/position_embeddings/Gather")], {}, "/embeddings/Add_1");
  } else {
    const typeEmb = g.float("embeddings.token_type_embeddings.weight", [w.typeVocabSize, h], w.tokenTypeEmbeddings);
    const positions = g.int64("embeddings.position_ids", [1, w.maxPositions], Array.from({ length: w.maxPositions }, (_, i) => i));
    const shape = g.op("Shape", ["input_ids"], {}, "/embeddings/Shape");
    const seq = g.op("Gather", [shape, g.int64("embeddings.seq_axis", [], [1])], { axis: 0 }, "/embeddings/Gather");
    const seq1 = g.op("Unsqueeze", [seq, g.int64("embeddings.unsqueeze_axes", [1], [0])], {}, "/embeddings/Unsqueeze");
    const posIds = g.op(
      "Slice",
      [positions, g.int64("embeddings.slice_start", [1], [0]), seq1, g.int64("embeddings.slice_axes", [1], [1])],
      {},
      "/embeddings/Slice",
    );
    x = g.op("Add", [x, g.op("Gather", [typeEmb, "token_type_ids"], {}, "/embeddings/token_type_embeddings/Gather")], {}, "/embeddings/Add");
    x = g.op("Add", [x, g.op("Gather", [posEmb, posIds], {}, "/embeddings/position_embeddings/Gather")], {}, "/embeddings/Add_1");
  }
  x = layerNorm(g, x, w.embeddingNorm, "embeddings.LayerNorm", h, w.layerNormEps);

  // Extended mask: 0 where attended, float32 min where padded, shape [batch, 1, 1, seq].
  const maskUnsq1 = g.op("Unsqueeze", ["attention_mask", g.int64("mask.axis1", [1], [1])], {}, "/Unsqueeze");
  const maskUnsq = g.op("Unsqueeze", [maskUnsq1, g.int64("mask.axis2", [1], [2])], {}, "/Unsqueeze_1");
  const maskF = g.op("Cast", [maskUnsq], { to: T.FLOAT }, "/Cast");
  const inverted = g.op("Sub", [g.scalarFloat("mask.one", 1), maskF], {}, "/Sub");
  const extMask = g.op("Mul", [inverted, g.scalarFloat("mask.min", -3.4028234663852886e38)], {}, "/Mul");

  const headShape = g.int64("attention.head_shape", [4], [0, 0, w.numHeads, headDim]);
  const mergeShape = g.int64("attention.merge_shape", [3], [0, 0, h]);
  const scale = g.scalarFloat("attention.scale", Math.sqrt(headDim));

  w.layers.forEach((layer, l) => {
    const p = `encoder.layer.${l}`;
    const heads = (t: string, perm: number[], n: string) =>
      g.op("Transpose", [g.op("Reshape", [t, headShape], {}, `/${p}/${n}/Reshape`)], { perm }, `/${p}/${n}/Transpose`);
    const q = heads(linear(g, x, layer.query, `${p}.attention.self.query`, dtype), [0, 2, 1, 3], "query");
    const k = heads(linear(g, x, layer.key, `${p}.attention.self.key`, dtype), [0, 2, 3, 1], "key");
    const v = heads(linear(g, x, layer.value, `${p}.attention.self.value`, dtype), [0, 2, 1, 3], "value");
    const scores = g.op("Div", [g.op("MatMul", [q, k], {}, `/${p}/attention/MatMul`), scale], {}, `/${p}/attention/Div`);
    const probs = g.op("Softmax", [g.op("Add", [scores, extMask], {}, `/${p}/attention/Add`)], { axis: -1 }, `/${p}/attention/Softmax`);
    const ctx = g.op("MatMul", [probs, v], {}, `/${p}/attention/MatMul_1`);
    const merged = g.op("Reshape", [g.op("Transpose", [ctx], { perm: [0, 2, 1, 3] }, `/${p}/attention/Transpose_3`), mergeShape], {}, `/${p}/attention/Reshape_3`);
    const attnOut = linear(g, merged, layer.attentionOutput, `${p}.attention.output.dense`, dtype);
    const attnRes = g.op("Add", [attnOut, x], {}, `/${p}/attention/output/Add`);
    const afterAttn = layerNorm(g, attnRes, layer.attentionNorm, `${p}.attention.output.LayerNorm`, h, w.layerNormEps);
    const inter = gelu(g, linear(g, afterAttn, layer.intermediate, `${p}.intermediate.dense`, dtype), `/${p}/intermediate/intermediate_act_fn`);
    const ffOut = linear(g, inter, layer.output, `${p}.output.dense`, dtype);
    x = layerNorm(g, g.op("Add", [ffOut, afterAttn], {}, `/${p}/output/Add`), layer.outputNorm, `${p}.output.LayerNorm`, h, w.layerNormEps);
  });

  const first = g.op("Gather", [x, g.int64("pooler.first_token", [], [0])], { axis: 1 }, "/pooler/Gather");
  const pooled = g.op("Tanh", [linear(g, first, w.pooler, "pooler.dense", dtype)], {}, "/pooler/activation/Tanh");
  linear(g, pooled, w.classifier, "classifier", dtype);
  // The classifier's bias Add is the last node: name its output as exports do.
  g.nodes[g.nodes.length - 1]!.output = ["logits"];

  const intInput = (name: string) => ({
    name,
    type: { tensorType: { elemType: T.INT64, shape: { dim: [{ dimParam: "batch_size" }, { dimParam: "sequence_length" }] } } },
  });
  const inputs = xlmr ? ["input_ids", "attention_mask"] : ["input_ids", "attention_mask", "token_type_ids"];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: producer,
    producerVersion: "1",
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "main_graph",
      node: g.nodes,
      initializer: g.initializers,
      input: inputs.map(intInput),
      output: [
        {
          name: "logits",
          type: { tensorType: { elemType: T.FLOAT, shape: { dim: [{ dimParam: "batch_size" }, { dimValue: w.numLabels }] } } },
        },
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
