import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURE_FORMAT, SHAPES, writeFixtureModel, type ShapeName } from "@crossrank/model-fixtures";

const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

/**
 * A model folder with the exact shapes of a real cross-encoder (random weights: speed does not depend on their
 * values) and the real BERT uncased tokenizer, so real passages give real sequence lengths. Generated once into a
 * cache folder outside the repository, and again when the generator's format changes (a folder made by an older
 * generator would measure an older graph); the tokenizer is read from ../shared at run time.
 */
export async function benchModel(shape: ShapeName, tokenizerDir: string, cacheDir = join(tmpdir(), "crossrank-bench-models")): Promise<string> {
  const dir = join(cacheDir, shape);
  const marker = join(dir, ".complete");
  const made = existsSync(marker) ? await readFile(marker, "utf8") : "";
  if (!made.startsWith(`${FIXTURE_FORMAT}\n`)) {
    await writeFixtureModel({ shape, variant: "bert", dtypes: ["fp32", "q8"], out: dir });
    for (const f of TOKENIZER_FILES) await copyFile(join(tokenizerDir, f), join(dir, f));
    // The real tokenizer's limit; the fixture's positions (512) already match it.
    const config = JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8"));
    config.model_max_length = Math.min(config.model_max_length ?? 512, SHAPES[shape].maxPositionEmbeddings);
    await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify(config));
    await mkdir(dir, { recursive: true });
    await writeFile(marker, `${FIXTURE_FORMAT}\n${new Date().toISOString()}\n`);
  }
  return dir;
}
