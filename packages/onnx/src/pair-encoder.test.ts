import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { documentTokenLimit, encodePairs, queryTokenLimit, type TruncationPolicy } from "./pair-encoder.js";
import { readPairTemplate } from "./pair-template.js";

const CLS = 101;
const SEP = 102;
const bert = readPairTemplate({ post_processor: { type: "BertProcessing", cls: ["[CLS]", CLS], sep: ["[SEP]", SEP] } }, () => undefined, "t");
const roberta = readPairTemplate({ post_processor: { type: "RobertaProcessing", cls: ["<s>", 0], sep: ["</s>", 2] } }, () => undefined, "t");

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const policy = (maxLength: number, extra: Partial<TruncationPolicy> = {}): TruncationPolicy => ({
  maxLength,
  longDocuments: "truncate",
  chunkOverlap: undefined,
  ...extra,
});

describe("pair templates", () => {
  it("reads TemplateProcessing with its type ids", () => {
    const t = readPairTemplate(
      {
        post_processor: {
          type: "TemplateProcessing",
          pair: [
            { SpecialToken: { id: "[CLS]", type_id: 0 } },
            { Sequence: { id: "A", type_id: 0 } },
            { SpecialToken: { id: "[SEP]", type_id: 0 } },
            { Sequence: { id: "B", type_id: 1 } },
            { SpecialToken: { id: "[SEP]", type_id: 1 } },
          ],
          special_tokens: { "[CLS]": { ids: [CLS] }, "[SEP]": { ids: [SEP] } },
        },
      },
      () => undefined,
      "t",
    );
    expect(t.specialCount).toBe(3);
    expect(encodePairs(t, [1, 2], [3], 0, policy(10))[0]).toEqual({ document: 0, ids: [CLS, 1, 2, SEP, 3, SEP], typeIds: [0, 0, 0, 0, 1, 1] });
  });

  it("finds the template inside a Sequence post-processor", () => {
    const t = readPairTemplate({ post_processor: { type: "Sequence", processors: [{ type: "ByteLevel" }, { type: "RobertaProcessing", cls: ["<s>", 0], sep: ["</s>", 2] }] } }, () => undefined, "t");
    expect(encodePairs(t, [7], [8], 0, policy(10))[0]!.ids).toEqual([0, 7, 2, 2, 8, 2]);
  });

  it("lays out RoBERTa pairs with a double separator and one type id", () => {
    expect(encodePairs(roberta, [7], [8, 9], 0, policy(10))[0]).toEqual({ document: 0, ids: [0, 7, 2, 2, 8, 9, 2], typeIds: [0, 0, 0, 0, 0, 0, 0] });
  });

  it.each([null, { type: "ByteLevel" }, { type: "TemplateProcessing", single: [] }])("rejects a tokenizer without a pair template: %j", (pp) => {
    expect(() => readPairTemplate({ post_processor: pp }, () => undefined, "tokenizer.json")).toThrow(/no pair template/);
  });
});

describe("truncation", () => {
  it("cuts the document first and always ends with the separator", () => {
    const [pair] = encodePairs(bert, range(1, 5), range(100_000, 50), 3, policy(20));
    expect(pair!.ids).toHaveLength(20);
    expect(pair!.ids.slice(0, 7)).toEqual([CLS, 1, 2, 3, 4, 5, SEP]);
    expect(pair!.ids.at(-1)).toBe(SEP);
    expect(pair!.ids.slice(7, -1)).toEqual(range(100_000, 12));
    expect(pair!.document).toBe(3);
  });

  it("leaves a pair that fits untouched", () => {
    expect(encodePairs(bert, [1, 2], [3, 4], 0, policy(7))[0]!.ids).toEqual([CLS, 1, 2, SEP, 3, 4, SEP]);
  });

  it("cuts an over-long query only so far that the document keeps half the window", () => {
    const [pair] = encodePairs(bert, range(1, 100), range(1000, 100), 0, policy(33));
    // budget 30 = 33 - 3 specials; the document keeps 15, the query the other 15.
    expect(pair!.ids).toHaveLength(33);
    expect(pair!.ids.slice(1, 16)).toEqual(range(1, 15));
    expect(pair!.ids[16]).toBe(SEP);
    expect(pair!.ids.slice(17, 32)).toEqual(range(1000, 15));
    expect(pair!.ids.at(-1)).toBe(SEP);
  });

  it("keeps a long query whole when the document is short enough", () => {
    const [pair] = encodePairs(bert, range(1, 25), [1000, 1001], 0, policy(33));
    expect(pair!.ids).toEqual([CLS, ...range(1, 25), SEP, 1000, 1001, SEP]);
  });

  it("never exceeds maxLength for any mix of lengths", () => {
    for (const q of [0, 1, 5, 40, 300]) {
      for (const d of [0, 1, 9, 64, 1000]) {
        for (const longDocuments of ["truncate", "chunk"] as const) {
          for (const pair of encodePairs(bert, range(1, q), range(5000, d), 0, policy(32, { longDocuments }))) {
            expect(pair.ids.length).toBeLessThanOrEqual(32);
            expect(pair.ids.filter((t) => t === SEP)).toHaveLength(2);
            expect(pair.ids.at(-1)).toBe(SEP);
            expect(pair.typeIds).toHaveLength(pair.ids.length);
          }
        }
      }
    }
  });
});

describe("chunked long documents", () => {
  it("covers the whole document with overlapping windows", () => {
    const doc = range(5000, 100);
    const pairs = encodePairs(bert, [1, 2], doc, 4, policy(25, { longDocuments: "chunk", chunkOverlap: 5 }));
    const windows = pairs.map((p) => p.ids.slice(4, -1));
    // window = 25 - 3 specials - 2 query tokens = 20, stride 15
    expect(windows.map((w) => w[0])).toEqual([5000, 5015, 5030, 5045, 5060, 5075, 5090]);
    expect(windows.every((w) => w.length <= 20)).toBe(true);
    expect(new Set(windows.flat())).toEqual(new Set(doc));
    expect(pairs.every((p) => p.document === 4)).toBe(true);
  });

  it("uses one window when the document fits", () => {
    expect(encodePairs(bert, [1], range(10, 5), 0, policy(25, { longDocuments: "chunk" }))).toHaveLength(1);
  });
});

describe("token limits: how far a text is tokenized", () => {
  it("laying out the query and document cut one token past their limits gives the pairs of the whole texts", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 5, max: 80 }),
        fc.constantFrom("truncate" as const, "chunk" as const),
        (q, d, maxLength, longDocuments) => {
          const p = policy(maxLength, { longDocuments });
          const query = range(1, q);
          const doc = range(5000, d);
          const queryCut = query.slice(0, queryTokenLimit(bert, p) + 1);
          const docCut = doc.slice(0, documentTokenLimit(bert, p, queryCut.length) + 1);
          expect(encodePairs(bert, queryCut, docCut, 0, p)).toEqual(encodePairs(bert, query, doc, 0, p));
        },
      ),
      { numRuns: 300 },
    );
  });
});
