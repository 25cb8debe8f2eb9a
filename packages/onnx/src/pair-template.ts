import { RerankError } from "@crossrank/core";

/** The layout of a (query, document) input: special token ids and the two sequences, each with a type id. */
export type TemplatePart = { kind: "special"; ids: number[]; typeId: number } | { kind: "sequence"; which: "A" | "B"; typeId: number };

export interface PairTemplate {
  parts: TemplatePart[];
  /** How many special tokens one pair adds. */
  specialCount: number;
}

type Json = Record<string, any>;

function fromTemplateProcessing(pp: Json, tokenId: (t: string) => number | undefined): PairTemplate | undefined {
  if (!Array.isArray(pp.pair)) return undefined;
  const parts: TemplatePart[] = pp.pair.map((piece: Json): TemplatePart => {
    if (piece.Sequence) return { kind: "sequence", which: piece.Sequence.id === "B" ? "B" : "A", typeId: piece.Sequence.type_id ?? 0 };
    const name: string = piece.SpecialToken.id;
    const ids: number[] | undefined = pp.special_tokens?.[name]?.ids ?? (tokenId(name) === undefined ? undefined : [tokenId(name)!]);
    if (!ids) throw new RerankError("MODEL_INVALID", `tokenizer.json's pair template uses "${name}", which it does not define`, { provider: "local" });
    return { kind: "special", ids, typeId: piece.SpecialToken.type_id ?? 0 };
  });
  return finish(parts);
}

function fromClsSep(pp: Json, roberta: boolean): PairTemplate | undefined {
  const cls = pp.cls?.[1];
  const sep = pp.sep?.[1];
  if (typeof cls !== "number" || typeof sep !== "number") return undefined;
  const second = roberta ? 0 : 1;
  const parts: TemplatePart[] = [
    { kind: "special", ids: [cls], typeId: 0 },
    { kind: "sequence", which: "A", typeId: 0 },
    { kind: "special", ids: roberta ? [sep, sep] : [sep], typeId: 0 },
    { kind: "sequence", which: "B", typeId: second },
    { kind: "special", ids: [sep], typeId: second },
  ];
  return finish(parts);
}

function finish(parts: TemplatePart[]): PairTemplate {
  const specialCount = parts.reduce((n, p) => n + (p.kind === "special" ? p.ids.length : 0), 0);
  return { parts, specialCount };
}

/**
 * Reads the pair layout from tokenizer.json's post_processor (TemplateProcessing, BertProcessing,
 * RobertaProcessing, or a Sequence holding one), so the model gets exactly what it was trained on.
 */
export function readPairTemplate(tokenizerJson: Json, tokenId: (t: string) => number | undefined, source: string): PairTemplate {
  const find = (pp: Json | null | undefined): PairTemplate | undefined => {
    if (!pp) return undefined;
    switch (pp.type) {
      case "TemplateProcessing":
        return fromTemplateProcessing(pp, tokenId);
      case "BertProcessing":
        return fromClsSep(pp, false);
      case "RobertaProcessing":
        return fromClsSep(pp, true);
      case "Sequence":
        for (const inner of pp.processors ?? []) {
          const t = find(inner);
          if (t) return t;
        }
        return undefined;
      default:
        return undefined;
    }
  };
  const template = find(tokenizerJson.post_processor);
  const seqs = template?.parts.filter((p) => p.kind === "sequence").map((p) => (p as { which: string }).which).join("");
  if (!template || seqs !== "AB") {
    throw new RerankError(
      "MODEL_INVALID",
      `${source} has no pair template (post_processor ${JSON.stringify(tokenizerJson.post_processor?.type ?? null)}): a cross-encoder's tokenizer must define how a query and a document are joined, e.g. [CLS] query [SEP] document [SEP]`,
      { provider: "local" },
    );
  }
  const last = template.parts[template.parts.length - 1];
  if (last?.kind !== "special") {
    throw new RerankError("MODEL_INVALID", `${source}'s pair template does not end with a separator token`, { provider: "local" });
  }
  return template;
}
