import { writeFixtureModel, referenceLogits } from "./dist/index.js";
const S = 96;
const ids = Array.from({ length: S }, (_, i) => (i === 0 ? 101 : 1000 + ((i * 7919) % 29000)));
const types = Array.from({ length: S }, (_, i) => (i > 20 ? 1 : 0));
const m = await writeFixtureModel({ shape: "minilm-l6", dtypes: [], out: "/tmp/h4/minilm-weights" });
const t = performance.now();
console.log(JSON.stringify({ q8: referenceLogits(m.weights, { inputIds: ids, tokenTypeIds: types }, { dtype: "q8" }), fp32: referenceLogits(m.weights, { inputIds: ids, tokenTypeIds: types }), ms: performance.now() - t }));
