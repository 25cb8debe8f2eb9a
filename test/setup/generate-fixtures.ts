import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeFixtureModel } from "@crossrank/model-fixtures";
import { TINY } from "./fixture-paths.js";

/** Writes the tiny test models once per run (they take milliseconds; larger shapes are made by the tests that need them). */
export default async function setup(): Promise<void> {
  await writeFixtureModel({ shape: "tiny", variant: "bert", dtypes: ["fp32", "q8"], out: TINY.bert });
  await writeFixtureModel({ shape: "tiny", variant: "xlmr", dtypes: ["fp32", "q8"], out: TINY.xlmr });
  await writeFixtureModel({ shape: "tiny", variant: "two-label", dtypes: ["fp32"], out: TINY.twoLabel });
  if (!existsSync(join(TINY.bert, "onnx/model.onnx"))) throw new Error("fixture generation failed");
}
