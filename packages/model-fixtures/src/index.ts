export { writeFixtureModel, FIXTURE_NOTICE, type FixtureModel, type FixtureOptions } from "./generate.js";
export { referenceLogits, type ReferenceInput } from "./reference.js";
export { SHAPES, VARIANTS, DTYPES, type ShapeName, type Variant, type Dtype, type ModelShape } from "./shapes.js";
export type { BertWeights } from "./weights.js";
export { FIXTURE_WORDS } from "./vocabulary.js";
export { buildGemmModel, type GemmShape } from "./gemm.js";
export { SeededRandom } from "./random.js";
