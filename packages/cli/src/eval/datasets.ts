import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { RerankError } from "@crossrank/core";
import type { Judgments } from "./metrics.js";

/** One query with its candidates in first-stage order and its judgments. */
export interface EvalQuery {
  id: string;
  text: string;
  candidates: { id: string; text: string }[];
  judged: Judgments;
}

export interface EvalDataset {
  name: string;
  layout: "trec-dl" | "beir";
  queries: EvalQuery[];
  /** The grade from which a document counts as relevant for MRR and recall. */
  relevanceLevel: number;
}

function invalid(message: string): never {
  throw new RerankError("INVALID_INPUT", message);
}

function parseQrels(text: string, format: "trec" | "tsv"): Map<string, Judgments> {
  const out = new Map<string, Judgments>();
  for (const [n, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    const parts = line.trim().split(/\s+/);
    if (format === "tsv" && n === 0 && /query/i.test(parts[0]!)) continue;
    const [qid, docid, grade] = format === "trec" ? [parts[0], parts[2], parts[3]] : [parts[0], parts[1], parts[2]];
    if (!qid || !docid || grade === undefined || Number.isNaN(Number(grade))) invalid(`qrels line ${n + 1} is not "${format === "trec" ? "qid 0 docid grade" : "query-id corpus-id score"}": ${line}`);
    if (!out.has(qid)) out.set(qid, new Map());
    out.get(qid)!.set(docid, Number(grade));
  }
  return out;
}

async function readJsonl(path: string): Promise<Record<string, any>[]> {
  return (await readFile(path, "utf8"))
    .split("\n")
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l);
      } catch {
        invalid(`${path} line ${i + 1} is not JSON`);
      }
    });
}

/** The TREC DL layout's two files, under the names this project uses or those they are published under. */
const CANDIDATE_FILES = ["bm25-top100.json", "retrieve_results_dl19_top100.json"];
const QRELS_FILES = ["qrels.txt", "2019qrels-pass.txt"];

function firstExisting(dir: string, names: readonly string[]): string | undefined {
  return names.map((n) => join(dir, n)).find((path) => existsSync(path));
}

/** What eval and bench read, and where a newcomer gets it: printed whenever the data is missing. */
export const DATA_HELP = `TREC DL 2019 (passage ranking) is read from a folder holding two files:
  bm25-top100.json  BM25's top 100 passages for each of the 43 judged queries, as JSON:
                    [{ "query": "...", "hits": [{ "qid", "docid", "rank", "content" }] }]. It is
                    retrieve_results_dl19_top100.json of https://github.com/castorini/rank_llm_data
                    (retrieve_results/BM25/), which may keep that name.
  qrels.txt         the NIST judgments, "qid 0 docid grade" per line: 2019qrels-pass.txt of the TREC 2019 Deep
                    Learning track, https://trec.nist.gov/data/deep/2019qrels-pass.txt (may keep that name).
The track's own files (https://microsoft.github.io/msmarco/TREC-Deep-Learning-2019: msmarco-test2019-queries.tsv,
msmarco-passagetest2019-top1000.tsv) hold the same queries and a top-1000 candidate pool, but not BM25's order.
Pass the folder with --data <dir>; inside the crossrank repository the default is ../shared/data/trec-dl19.
eval also reads a BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv and a first-stage run.trec.`;

/**
 * The TREC DL layout (candidates JSON `[{ query, hits: [{ qid, docid, rank, content }] }]` + qrels), as in
 * ../shared/data/trec-dl19. Graded 0-3; as in the official DL track, grade 2 and up counts as relevant.
 */
async function loadTrecDl(dir: string, depth: number): Promise<EvalDataset> {
  type Hit = { qid: number | string; docid: string; rank: number; content: string };
  const text = await readFile(firstExisting(dir, CANDIDATE_FILES)!, "utf8");
  const raw = JSON.parse(text) as { query: string; hits: Hit[] }[];
  const qrels = parseQrels(await readFile(firstExisting(dir, QRELS_FILES)!, "utf8"), "trec");
  const queries = raw.map((q) => {
    const hits = [...q.hits].sort((a, b) => a.rank - b.rank).slice(0, depth);
    const id = String(hits[0]?.qid ?? "");
    return { id, text: q.query, candidates: hits.map((h) => ({ id: String(h.docid), text: h.content })), judged: qrels.get(id) ?? new Map() };
  });
  return { name: dir, layout: "trec-dl", queries: queries.filter((q) => q.judged.size > 0), relevanceLevel: 2 };
}

/**
 * The BEIR layout: corpus.jsonl, queries.jsonl, qrels/test.tsv, plus the first stage's candidates as a TREC run
 * file (`qid Q0 docid rank score tag`), `run.trec` in the folder or given with --run-in.
 */
async function loadBeir(dir: string, depth: number, runFile: string | undefined): Promise<EvalDataset> {
  const runPath = runFile ?? join(dir, "run.trec");
  if (!existsSync(runPath)) invalid(`a BEIR folder needs the first stage's candidates: ${runPath} (a TREC run file) was not found; pass --candidates <file>`);
  const corpus = new Map((await readJsonl(join(dir, "corpus.jsonl"))).map((d) => [String(d._id), [d.title, d.text].filter(Boolean).join(" ")]));
  const queryText = new Map((await readJsonl(join(dir, "queries.jsonl"))).map((q) => [String(q._id), String(q.text)]));
  const qrels = parseQrels(await readFile(join(dir, "qrels", "test.tsv"), "utf8"), "tsv");
  const runs = new Map<string, { id: string; rank: number; score: number }[]>();
  for (const line of (await readFile(runPath, "utf8")).split("\n")) {
    const [qid, , docid, rank, score] = line.trim().split(/\s+/);
    if (!qid || !docid) continue;
    if (!runs.has(qid)) runs.set(qid, []);
    runs.get(qid)!.push({ id: docid, rank: Number(rank), score: Number(score) });
  }
  const queries: EvalQuery[] = [];
  for (const [qid, judged] of qrels) {
    const run = runs.get(qid);
    const text = queryText.get(qid);
    if (!run || text === undefined) continue;
    const ordered = run.sort((a, b) => b.score - a.score || a.rank - b.rank).slice(0, depth);
    queries.push({ id: qid, text, judged, candidates: ordered.filter((c) => corpus.has(c.id)).map((c) => ({ id: c.id, text: corpus.get(c.id)! })) });
  }
  return { name: dir, layout: "beir", queries, relevanceLevel: 1 };
}

export async function loadDataset(dir: string, options: { depth: number; candidates?: string }): Promise<EvalDataset> {
  if (!existsSync(dir)) invalid(`${dir} was not found.\n${DATA_HELP}`);
  if (firstExisting(dir, CANDIDATE_FILES) && firstExisting(dir, QRELS_FILES)) return loadTrecDl(dir, options.depth);
  if (existsSync(join(dir, "corpus.jsonl")) && existsSync(join(dir, "queries.jsonl"))) return loadBeir(dir, options.depth, options.candidates);
  invalid(
    `${dir} is neither the TREC DL layout (bm25-top100.json + qrels.txt) ` +
      `nor the BEIR layout (corpus.jsonl, queries.jsonl, qrels/test.tsv).\n${DATA_HELP}`,
  );
}

/** The shared DL19 data when this runs inside the crossrank repository (../shared beside it). */
export function defaultDataDir(cwd = process.cwd()): string | undefined {
  for (const base of [cwd, join(cwd, ".."), join(cwd, "..", "..")]) {
    const dir = join(base, "..", "shared", "data", "trec-dl19");
    if (existsSync(join(dir, "qrels.txt"))) return dir;
  }
  return undefined;
}

/** The error for a command run without --data where the default folder is absent. */
export function noDataError(): RerankError {
  const message = `no --data given, and ../shared/data/trec-dl19 is not beside this checkout.\n${DATA_HELP}`;
  return new RerankError("INVALID_INPUT", message);
}
