import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { writeFixtureModel } from "./generate.js";
import { DTYPES, SHAPES, VARIANTS, type Dtype, type ShapeName, type Variant } from "./shapes.js";

const usage = `Usage: pnpm models:fixture --shape <${Object.keys(SHAPES).join("|")}> [--variant <${VARIANTS.join("|")}>]
                           [--dtype <fp32|q8|fp32,q8>] [--seed <n>] --out <dir>
Writes a random-weight cross-encoder directory for tests and benchmarks. It ranks nothing.`;

function fail(message: string): never {
  console.error(`models:fixture: ${message}\n\n${usage}`);
  process.exit(2);
}

const { values } = parseArgs({
  // pnpm forwards a literal "--" before script arguments; it separates nothing here.
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    shape: { type: "string" },
    variant: { type: "string", default: "bert" },
    dtype: { type: "string", default: "fp32" },
    seed: { type: "string", default: "42" },
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (!values.shape || !(values.shape in SHAPES)) fail(`--shape must be one of ${Object.keys(SHAPES).join(", ")}`);
if (!VARIANTS.includes(values.variant as Variant)) fail(`--variant must be one of ${VARIANTS.join(", ")}`);
const dtypes = values.dtype.split(",");
for (const d of dtypes) if (!DTYPES.includes(d as Dtype)) fail(`--dtype must be fp32, q8 or fp32,q8 (got "${d}")`);
const seed = Number(values.seed);
if (!Number.isInteger(seed)) fail(`--seed must be an integer (got "${values.seed}")`);
if (!values.out) fail("--out <dir> is required");

const out = resolve(process.env.INIT_CWD ?? process.cwd(), values.out);
const started = performance.now();
const model = await writeFixtureModel({
  shape: values.shape as ShapeName,
  variant: values.variant as Variant,
  dtypes: dtypes as Dtype[],
  seed,
  out,
});
console.log(`wrote ${model.files.join(", ")} to ${out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log("random weights: for tests and benchmarks only, not a reranker");
