import onnxProto from "onnx-proto";
import { GraphBuilder } from "./graph.js";
import { WEIGHT_QMAX } from "./quantize.js";
import { SeededRandom } from "./random.js";

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;

export interface GemmShape {
  m: number;
  k: number;
  n: number;
}

/**
 * A one-operator graph for measuring a machine's matrix-multiply peak with ONNX Runtime: Y = A·B with A an input
 * [m, k] and B a constant [k, n]. "fp32" is a float MatMul; "q8" is the path ONNX Runtime's dynamic quantization
 * writes for a MatMul (DynamicQuantizeLinear on A, MatMulInteger against int8 B), so the int8 peak is the one
 * the quantized cross-encoders can reach.
 */
export function buildGemmModel({ m, k, n }: GemmShape, dtype: "fp32" | "q8"): Uint8Array {
  const g = new GraphBuilder();
  const rng = new SeededRandom(7);
  const random = () => rng.next();
  let output: string;
  let outputType: number;
  if (dtype === "fp32") {
    const b = g.float("B", [k, n], Float32Array.from({ length: k * n }, () => random() - 0.5));
    output = g.op("MatMul", ["A", b]);
    outputType = T.FLOAT;
  } else {
    // 7-bit weights, as the quantized cross-encoders have them (quantize.ts); speed does not depend on the values.
    const weight = () => Math.round((random() - 0.5) * 2 * WEIGHT_QMAX);
    const b = g.int8("B", [k, n], Int8Array.from({ length: k * n }, weight));
    const bZero = g.int8("B_zero_point", [], Int8Array.of(0));
    const [aq, , aZero] = g.node("DynamicQuantizeLinear", ["A"], {}, 3);
    output = g.op("MatMulInteger", [aq!, b, aZero!, bZero]);
    outputType = T.INT32;
  }
  g.nodes[g.nodes.length - 1]!.output = ["Y"];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "crossrank-model-fixtures",
    producerVersion: "1",
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "gemm",
      node: g.nodes,
      initializer: g.initializers,
      input: [{ name: "A", type: { tensorType: { elemType: T.FLOAT, shape: { dim: [{ dimValue: m }, { dimValue: k }] } } } }],
      output: [{ name: "Y", type: { tensorType: { elemType: outputType, shape: { dim: [{ dimValue: m }, { dimValue: n }] } } } }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
