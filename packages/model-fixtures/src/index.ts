export {
  writeFixtureModel,
  FIXTURE_NOTICE,
  FIXTURE_FORMAT,
  type FixtureModel,
  type FixtureOptions,
} from "./generate.js";
export { referenceLogits, type ReferenceInput, type ReferenceOptions } from "./reference.js";
export { quantizeDense, dynamicQuantize, WEIGHT_QMAX, type QuantizedDense } from "./quantize.js";
export { SHAPES, VARIANTS, DTYPES, type ShapeName, type Variant, type Dtype, type ModelShape } from "./shapes.js";
export type { BertWeights } from "./weights.js";
export { FIXTURE_WORDS } from "./vocabulary.js";
export { buildGemmModel, type GemmShape } from "./gemm.js";
export { SeededRandom } from "./random.js";
