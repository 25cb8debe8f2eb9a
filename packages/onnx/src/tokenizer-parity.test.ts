import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as transformers from "@huggingface/transformers";
import { describe, expect, it } from "vitest";
import { TINY } from "../../../test/setup/fixture-paths.js";
import { loadTokenizer } from "./pair-encoder.js";

const TEXTS = [
  "which ocean has the largest whale",
  "The Whale's song, HEARD across 1,000 km of ocean!",
  "café crêpes naïve — über tokens",
  "  leading and   repeated   spaces ",
  "unknownwordzzz qwerty",
];

/** crossrank reads tokenizers with @huggingface/tokenizers directly; the ids must be those transformers.js gives. */
describe.each([
  ["BERT WordPiece", TINY.bert, "BertTokenizer"],
  ["XLM-R Unigram", TINY.xlmr, "XLMRobertaTokenizer"],
] as const)("tokenizer parity with @huggingface/transformers (%s)", (_name, dir, className) => {
  it("encodes every text to the same ids", async () => {
    const ours = await loadTokenizer(join(dir, "tokenizer.json"), join(dir, "tokenizer_config.json"));
    const json = JSON.parse(await readFile(join(dir, "tokenizer.json"), "utf8"));
    const config = JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8"));
    const Theirs = (transformers as unknown as Record<string, new (j: object, c: object) => { encode(t: string, o: object): number[] }>)[className]!;
    const theirs = new Theirs(json, config);
    for (const text of TEXTS) {
      const ids = ours.encode(text);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids).toEqual(theirs.encode(text, { add_special_tokens: false }));
    }
  });
});
