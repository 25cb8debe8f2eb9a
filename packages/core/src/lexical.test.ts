import { describe, expect, it } from "vitest";
import type { RerankError } from "./errors.js";
import { bm25Scores, createLexicalProvider } from "./lexical.js";

const text = "low tide at the wall, ferry at dawn ".repeat(40);
const documents = Array.from({ length: 5_000 }, (_, i) => `harbour note ${i}: ${text}`);

describe("lexical provider on a large call", () => {
  it("gives the event loop turns: an abort lands in the middle of the work", async () => {
    const controller = new AbortController();
    setImmediate(() => controller.abort());
    const error = await createLexicalProvider({ provider: "lexical" })
      .rerank("low tide", documents, { signal: controller.signal })
      .then(
        () => undefined,
        (e: RerankError) => e,
      );
    expect(error?.code).toBe("ABORTED");
  });

  it("scores exactly as bm25Scores does", async () => {
    const some = documents.slice(0, 200).map((d, i) => (i % 7 === 0 ? `${d} ferry ferry` : d));
    const results = await createLexicalProvider({ provider: "lexical", k1: 1.5, b: 0.5 }).rerank("ferry tide", some);
    const direct = bm25Scores("ferry tide", some, 1.5, 0.5);
    for (const r of results) expect(r.rawScore).toBe(direct[r.index]!.rawScore);
    expect(results).toHaveLength(some.length);
  });
});
