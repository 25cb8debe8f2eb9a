import { writeFile } from "node:fs/promises";
import cliProgress from "cli-progress";
import { Command } from "commander";
import { defaultDataDir, loadDataset, noDataError } from "./eval/datasets.js";
import { evaluate, toTrecRun } from "./eval/run-eval.js";
import { table } from "./format.js";
import type { CliIO } from "./models-command.js";
import { positiveInt } from "./options.js";
import { configFromOptions, createCliReranker } from "./reranker-config.js";

interface EvalOptions {
  data?: string;
  provider?: string;
  config?: string;
  depth: number;
  candidates?: string;
  run?: string;
  json?: string;
}

/** "top 100 candidates", or the range when the first stage gave some queries fewer. */
function depthLabel({ min, max }: { min: number; max: number }): string {
  return min === max ? `top ${max} candidates` : `${min} to ${max} candidates per query`;
}

export function evalCommand(io: CliIO): Command {
  return new Command("eval")
    .description("rerank a benchmark's candidates and report nDCG@10, MRR@10 and Recall@10/100 before and after")
    .option("--data <dir>", "TREC DL folder (bm25-top100.json + qrels.txt) or BEIR folder; default ../shared/data/trec-dl19 when present")
    .option(
      "--provider <config>",
      'a config string, as CROSSRANK_PROVIDER takes: "local:ms-marco-MiniLM-L-6-v2?dtype=q8", "lexical", ' +
        '"cohere:rerank-v3.5|lexical", "http:http://127.0.0.1:8080?api=tei"; without it only the input order is scored',
    )
    .option("--config <json|file>", "instead of --provider: a config object as JSON, or a JSON file (may hold apiKey)")
    .option("--depth <n>", "candidates per query", positiveInt, 100)
    .option("--candidates <file>", "BEIR only: the first stage's TREC run file (default <data>/run.trec)")
    .option("--run <file>", "write the reranked order as a TREC run file")
    .option("--json <file>", "write the report, with per-query results, as JSON")
    .action(async (opts: EvalOptions) => {
      // The reranker config is checked before the data is read: a typo fails at once.
      const config = await configFromOptions(opts);
      const dir = opts.data ?? defaultDataDir();
      if (!dir) throw noDataError();
      const dataset = await loadDataset(dir, { depth: opts.depth, candidates: opts.candidates });
      const bar = io.stderr.isTTY ? new cliProgress.SingleBar({ stream: io.stderr, format: " reranking [{bar}] {value}/{total} queries" }, cliProgress.Presets.shades_classic) : undefined;
      bar?.start(dataset.queries.length, 0);
      const report = await evaluate(dataset, {
        depth: opts.depth,
        ...(config ? { create: () => createCliReranker(config) } : {}),
        onQuery: (done, total) => {
          if (bar) bar.update(done);
          else if (config && done % 10 === 0) io.stderr.write(`reranked ${done}/${total} queries\n`);
        },
      });
      bar?.stop();
      const fmt = (v: number) => v.toFixed(4);
      const rows = [["ORDER", "nDCG@10", "MRR@10", "R@10", "R@100"]];
      const row = (name: string, m: typeof report.input) => [name, fmt(m["nDCG@10"]), fmt(m["MRR@10"]), fmt(m["Recall@10"]), fmt(m["Recall@100"])];
      rows.push(row("input (first stage)", report.input));
      if (report.reranked) rows.push(row(`reranked by ${report.provider}`, report.reranked));
      const relevant = `relevant = grade >= ${report.relevanceLevel} for MRR and recall`;
      io.stdout.write(`${report.dataset}: ${report.queries} queries, ${depthLabel(report.candidates)}, ${relevant}\n`);
      io.stdout.write(`${table(rows)}\n`);
      if (!config) io.stdout.write("(pass --provider or --config to rerank)\n");
      if (opts.run && report.reranked) await writeFile(opts.run, toTrecRun(report, "crossrank"));
      if (opts.json) await writeFile(opts.json, JSON.stringify(report, null, 2));
    });
}
