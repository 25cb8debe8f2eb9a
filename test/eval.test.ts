import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { skipWithoutSharedData } from "./support/shared-data.js";

const exec = promisify(execFile);
const BIN = fileURLToPath(new URL("../packages/cli/dist/bin.js", import.meta.url));
const crossrank = (args: string[]) =>
  exec(process.execPath, [BIN, ...args], { env: { ...process.env, CROSSRANK_OFFLINE: "1" } });

/** The environment without any provider's API key or crossrank config, so a test sees only what it sets. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CROSSRANK_OFFLINE: "1", ...extra };
  for (const name of [
    "COHERE_API_KEY",
    "CO_API_KEY",
    "MXBAI_API_KEY",
    "VOYAGE_API_KEY",
    "JINA_API_KEY",
    "CROSSRANK_PROVIDER",
    "CROSSRANK_MODEL",
    "CROSSRANK_CONFIG",
  ]) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

/** Runs the CLI to its end (bounded), whatever its exit code. */
async function run(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      env: cleanEnv(options.env),
      cwd: options.cwd,
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

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
    await writeFile(
      join(dir, "queries.jsonl"),
      [JSON.stringify({ _id: "q1", text: "when is low tide" }), JSON.stringify({ _id: "q2", text: "ferry time" })].join(
        "\n",
      ),
    );
    await writeFile(join(dir, "qrels", "test.tsv"), "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n");
    // The first stage ranked the relevant document last for q1 and first for q2.
    await writeFile(
      join(dir, "run.trec"),
      ["q1 Q0 d2 1 9 bm25", "q1 Q0 d3 2 8 bm25", "q1 Q0 d1 3 7 bm25", "q2 Q0 d3 1 9 bm25", "q2 Q0 d2 2 8 bm25"].join(
        "\n",
      ),
    );
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

  it("says how many candidates the queries really had, not the depth asked for", async () => {
    const { stdout } = await run(["eval", "--data", dir]);
    expect(stdout).toMatch(/: 2 queries, 2 to 3 candidates per query,/);
    expect(stdout).not.toMatch(/top 100/);
  });

  it("takes what servedBy prints as --provider, and a config as --config JSON or file", async () => {
    const served = await run(["eval", "--data", dir, "--provider", "lexical:bm25"]);
    expect(served.stderr).toBe("");
    expect(served.stdout).toMatch(/^reranked by lexical:bm25\s+1\.0000/m);
    const file = join(dir, "lexical.json");
    await writeFile(file, JSON.stringify({ provider: "passthrough" }));
    expect((await run(["eval", "--data", dir, "--config", file])).stdout).toMatch(
      /^reranked by passthrough:input-order\s+0\.7500/m,
    );
    expect((await run(["eval", "--data", dir, "--config", '{"provider":"lexical","k1":0.9}'])).stdout).toMatch(
      /^reranked by lexical:bm25/m,
    );
  });

  it("reaches a self-hosted server through an http: config string", async () => {
    // A stand-in TEI server on 127.0.0.1: scores a text by the query words it contains.
    const bodies: { query: string; texts: string[] }[] = [];
    const server: Server = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk) => (raw += chunk));
      req.on("end", () => {
        const body = JSON.parse(raw) as { query: string; texts: string[] };
        bodies.push(body);
        const words = body.query.toLowerCase().split(/\s+/);
        const scores = body.texts.map((t, index) => ({
          index,
          score: words.filter((w) => t.toLowerCase().includes(w)).length,
        }));
        res
          .writeHead(req.url === "/rerank" ? 200 : 404, { "content-type": "application/json" })
          .end(JSON.stringify(scores));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rerank`;
      const result = await run([
        "eval",
        "--data",
        dir,
        "--provider",
        `http:${url}?api=tei&maxRetries=0&timeoutMs=5000`,
      ]);
      expect(result.stderr).toBe("");
      expect(result.stdout).toMatch(/^reranked by http:tei@127\.0\.0\.1:\d+\s+1\.0000\s+1\.0000/m);
      expect(bodies.map((b) => b.query).sort()).toEqual(["ferry time", "when is low tide"]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("fails on a bad config before reading data, naming the field and the key's variable, never a value", async () => {
    const typo = await run(["eval", "--data", dir, "--provider", "lexcial"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/^crossrank: config string names an unknown provider; did you mean "lexical"\?/);
    const noKey = await run(["eval", "--data", dir, "--provider", "cohere:rerank-v3.5"]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/needs an API key: set COHERE_API_KEY \(or CO_API_KEY\) in the environment/);
    expect(noKey.stderr).not.toMatch(/pass apiKey/);
    const inString = await run(["eval", "--data", dir, "--provider", "cohere:rerank-v3.5?apiKey=SECRET-cli-123"]);
    expect(inString.stderr).toMatch(/takes no "apiKey"/);
    const inJson = await run(["eval", "--data", dir, "--config", '{"provider":"cohere","apiKey":"SECRET-cli-123"}']);
    expect(inJson.stderr).toMatch(/--config on the command line takes no apiKey/);
    for (const r of [inString, inJson]) {
      expect(r.code).toBe(1);
      expect(r.stderr).not.toContain("SECRET");
    }
    const both = await run(["eval", "--provider", "lexical", "--config", '{"provider":"lexical"}']);
    expect(both.stderr).toMatch(/--provider or --config, not both/);
  });

  it("hints at ./ when a local model named like a folder was taken as a hub id", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "crossrank-folder-"));
    try {
      await mkdir(join(cwd, "models", "foo"), { recursive: true });
      const result = await run(["eval", "--data", dir, "--provider", "local:models/foo"], {
        cwd,
        env: { CROSSRANK_CACHE_DIR: join(cwd, "cache") },
      });
      expect(result.code).toBe(1);
      const folderHint = /"models\/foo" was read as a Hugging Face hub id; a folder of that name exists here/;
      expect(result.stderr).toMatch(folderHint);
      expect(result.stderr).toMatch(/did you mean local:\.\/models\/foo\?/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

describe("crossrank eval without its data", () => {
  it("says the folder was not found, and what files it needs from where", async () => {
    const missing = await run(["eval", "--data", join(tmpdir(), "crossrank-no-such-folder")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/crossrank-no-such-folder was not found\./);
    expect(missing.stderr).not.toMatch(/neither/);
    // Run where no ../shared is beside the working folder, as in a fresh clone.
    const cwd = await mkdtemp(join(tmpdir(), "crossrank-fresh-"));
    try {
      const fresh = await run(["eval"], { cwd });
      expect(fresh.code).toBe(1);
      expect(fresh.stderr).toMatch(/no --data given/);
      for (const expected of [
        "bm25-top100.json",
        "qrels.txt",
        "2019qrels-pass.txt",
        "retrieve_results_dl19_top100.json",
        "msmarco-passagetest2019-top1000.tsv",
        "https://trec.nist.gov/data/deep/2019qrels-pass.txt",
      ]) {
        expect(fresh.stderr).toContain(expected);
      }
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it("reads the TREC DL layout under the names its files are published with", async () => {
    const data = await mkdtemp(join(tmpdir(), "crossrank-dl-"));
    try {
      const hits = [
        { qid: 7, docid: "p1", rank: 1, score: 9, content: "bread and flour" },
        { qid: 7, docid: "p2", rank: 2, score: 8, content: "low tide at the harbour" },
        { qid: 7, docid: "p3", rank: 3, score: 7, content: "ferry times" },
      ];
      await writeFile(
        join(data, "retrieve_results_dl19_top100.json"),
        JSON.stringify([{ query: "low tide harbour", hits }]),
      );
      await writeFile(join(data, "2019qrels-pass.txt"), "7 0 p2 3\n7 0 p1 0\n");
      const { stdout } = await run(["eval", "--data", data, "--depth", "2", "--provider", "lexical"]);
      expect(stdout).toMatch(/: 1 queries, top 2 candidates,/);
      // p2 at rank 2 in the input; BM25 over the two candidates puts it first.
      expect(stdout).toMatch(/^input \(first stage\)\s+0\.6309\s+0\.5000/m);
      expect(stdout).toMatch(/^reranked by lexical:bm25\s+1\.0000\s+1\.0000/m);
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });
});
