import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * ../shared (TREC DL19 and the real BERT tokenizer) sits beside the repository in CI and on the developers'
 * machines, not in a fresh clone. Tests that need it skip there, and say why once.
 */
export const SHARED_DIR = fileURLToPath(new URL("../../../shared/", import.meta.url));
export const DL19_DIR = `${SHARED_DIR}data/trec-dl19`;
export const hasSharedData = existsSync(`${DL19_DIR}/qrels.txt`) && existsSync(`${SHARED_DIR}models/bert-base-uncased-tokenizer/tokenizer.json`);

export function skipWithoutSharedData(what: string): boolean {
  if (!hasSharedData) console.warn(`skipped: ${what} needs ../shared/data/trec-dl19 beside the repository, which this checkout does not have`);
  return !hasSharedData;
}
