import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Generated models live here (ignored by git); the generator is deterministic, so they are rebuilt at will. */
export const FIXTURES_DIR = fileURLToPath(new URL("../.fixtures/", import.meta.url));

export const TINY = {
  bert: join(FIXTURES_DIR, "tiny-bert"),
  xlmr: join(FIXTURES_DIR, "tiny-xlmr"),
  twoLabel: join(FIXTURES_DIR, "tiny-two-label"),
} as const;
