import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skipWithoutSharedData } from "./support/shared-data.js";

const exec = promisify(execFile);
const BIN = fileURLToPath(new URL("../packages/cli/dist/bin.js", import.meta.url));
const crossrank = (args: string[]) => exec(process.execPath, [BIN, ...args], { env: { ...process.env, CROSSRANK_OFFLINE: "1" } });

describe.skipIf(skipWithoutSharedData("crossrank eval on DL19"))("crossrank eval on the shared TREC DL19 data", () => {
  it("reproduces the published BM25 figure, nDCG@10 = 0.5058", async () => {
    const { stdout } = await crossrank(["eval"]);
    expect(stdout).toMatch(/43 queries, top 100 candidates/);
    expect(stdout).toMatch(/^input \(first stage\)\s+0\.5058\s/m);
  });

  it("passthrough keeps BM25's order (0.5058) where the lexical baseline falls to 0.3406", async () => {
    const passthrough = await crossrank(["eval", "--provider", "passthrough"]);
    expect(passthrough.stdout).toMatch(/^reranked by passthrough:input-order\s+0\.5058\s/m);
    const lexical = await crossrank(["eval", "--provider", "lexical"]);
    expect(lexical.stdout).toMatch(/^reranked by lexical:bm25\s+0\.3406\s/m);
  });
});

describe("crossrank eval on a BEIR folder", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crossrank-beir-"));
    await mkdir(join(dir, "qrels"));
    const corpus = [
      { _id: "d1", title: "Tides", text: "low tide comes six hours after high tide" },
      { _id: "d2", title: "Bread", text: "flour water salt" },
      { _id: "d3", title: "Ferry", text: "the ferry leaves at noon" },
    ];
    await writeFile(join(dir, "corpus.jsonl"), corpus.map((d) => JSON.stringify(d)).join("\n"));
    await writeFile(join(dir, "queries.jsonl"), [JSON.stringify({ _id: "q1", text: "when is low tide" }), JSON.stringify({ _id: "q2", text: "ferry time" })].join("\n"));
    await writeFile(join(dir, "qrels", "test.tsv"), "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n");
    // The first stage ranked the relevant document last for q1 and first for q2.
    await writeFile(join(dir, "run.trec"), ["q1 Q0 d2 1 9 bm25", "q1 Q0 d3 2 8 bm25", "q1 Q0 d1 3 7 bm25", "q2 Q0 d3 1 9 bm25", "q2 Q0 d2 2 8 bm25"].join("\n"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("scores the input order and the reranked order, and writes the run and per-query JSON", async () => {
    const run = join(dir, "out.trec");
    const json = join(dir, "out.json");
    const { stdout } = await crossrank(["eval", "--data", dir, "--provider", "lexical", "--run", run, "--json", json]);
    // q1: relevant at rank 3 → nDCG 1/log2(4) = 0.5, MRR 1/3; q2: rank 1 → 1 and 1. Means: 0.75 and 0.6667.
    expect(stdout).toMatch(/^input \(first stage\)\s+0\.7500\s+0\.6667\s+1\.0000\s+1\.0000$/m);
    // BM25 over the candidates puts the tide passage first for q1.
    expect(stdout).toMatch(/^reranked by lexical:bm25\s+1\.0000\s+1\.0000\s+1\.0000\s+1\.0000$/m);
    const lines = (await readFile(run, "utf8")).trim().split("\n");
    expect(lines[0]).toMatch(/^q1 Q0 d1 1 [\d.]+ crossrank$/);
    expect(lines).toHaveLength(5);
    const report = JSON.parse(await readFile(json, "utf8"));
    expect(report.perQuery.map((q: { id: string }) => q.id)).toEqual(["q1", "q2"]);
    expect(report.perQuery[0].input["nDCG@10"]).toBeCloseTo(0.5, 10);
  });

  it("names what is missing in a folder it cannot read", async () => {
    const error = (await crossrank(["eval", "--data", tmpdir()]).catch((e) => e)) as { code: number; stderr: string };
    expect(error.code).toBe(1);
    expect(error.stderr).toMatch(/neither the TREC DL layout .* nor the BEIR layout/);
  });
});
