import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { RerankError } from "@crossrank/core";
import { Command, InvalidArgumentError } from "commander";
import { DATA_HELP, defaultDataDir, noDataError } from "./eval/datasets.js";
import type { CliIO } from "./models-command.js";
import { positiveInt } from "./options.js";

type BenchModule = typeof import("@crossrank/bench");

/** The benchmark needs the model generator and the shared data: it lives in the repository, not in this package. */
async function loadBench(): Promise<BenchModule> {
  try {
    return (await import("@crossrank/bench")) as BenchModule;
  } catch (error) {
    // Only a missing @crossrank/bench means "not in the repository"; anything else is a real failure.
    if (!String((error as Error)?.message).includes("@crossrank/bench")) throw error;
    try {
      const path = createRequire(join(process.cwd(), "package.json")).resolve("@crossrank/bench");
      return (await import(pathToFileURL(path).href)) as BenchModule;
    } catch {
      throw new RerankError("PROVIDER_NOT_INSTALLED", "crossrank bench runs inside the crossrank repository (it needs @crossrank/bench and ../shared): run `pnpm crossrank bench` there");
    }
  }
}

const list = <T extends string>(allowed: readonly T[]) => (value: string): T[] => {
  const items = value.split(",").map((s) => s.trim());
  for (const item of items) if (!allowed.includes(item as T)) throw new InvalidArgumentError(`expected a comma-separated list of ${allowed.join(", ")}`);
  return items as T[];
};


export function benchCommand(io: CliIO): Command {
  return new Command("bench")
    .description(
      "rerank DL19's 43 queries × 100 passages on models with real cross-encoders' shapes, against transformers.js, " +
        "every configuration of a shape interleaved query by query",
    )
    .option("--shapes <list>", "tinybert-l2, minilm-l6, minilm-l12", list(["tinybert-l2", "minilm-l6", "minilm-l12"] as const), ["tinybert-l2", "minilm-l6", "minilm-l12"])
    .option("--dtypes <list>", "fp32, q8", list(["fp32", "q8"] as const), ["fp32", "q8"])
    .option("--queries <n>", "DL19 queries to rerank (of 43)", positiveInt, 43)
    .option("--runs <n>", "repetitions of each shape's interleaved run; medians are reported", positiveInt, 1)
    .option("--data <dir>", "TREC DL19 folder; default ../shared/data/trec-dl19")
    .option("--tokenizer <dir>", "the BERT uncased tokenizer; default ../shared/models/bert-base-uncased-tokenizer")
    .option("--batch-tokens <n>", "crossrank's batchTokens (default: its own default)", positiveInt)
    .option("--max-batch-size <n>", "crossrank's maxBatchSize (default: its own default)", positiveInt)
    .option(
      "--threads <n>",
      "intra-op threads for transformers.js, crossrank's one-worker configuration and the peak (default: the cores available); " +
        "crossrank's defaults configuration always runs as the provider's defaults",
      positiveInt,
    )
    .option("--concurrency <levels>", "instead: queries/s and p50/p95 at these numbers of concurrent callers, e.g. 1,8,32", (v: string) => v.split(",").map((x) => positiveInt(x.trim())))
    .option("--workers <list>", "with --concurrency: worker counts to compare (default 1,2)", (v: string) => v.split(",").map((x) => positiveInt(x.trim())))
    .option("--crossrank-only", "skip the transformers.js baseline (for tuning)")
    .option("--out <file>", "also write the Markdown table to this file")
    .action(async (opts: {
        shapes: ("tinybert-l2" | "minilm-l6" | "minilm-l12")[];
        dtypes: ("fp32" | "q8")[];
        queries: number;
        runs: number;
        data?: string;
        tokenizer?: string;
        out?: string;
        batchTokens?: number;
        maxBatchSize?: number;
        threads?: number;
        concurrency?: number[];
        workers?: number[];
        crossrankOnly?: boolean;
      }) => {
      const dataDir = opts.data ?? defaultDataDir();
      if (!dataDir) throw noDataError();
      if (!existsSync(dataDir)) throw new RerankError("INVALID_INPUT", `${dataDir} was not found.\n${DATA_HELP}`);
      const tokenizerDir = opts.tokenizer ?? join(dataDir, "..", "..", "models", "bert-base-uncased-tokenizer");
      if (!existsSync(join(tokenizerDir, "tokenizer.json"))) {
        throw new RerankError(
          "INVALID_INPUT",
          `no tokenizer.json in ${tokenizerDir}; pass --tokenizer <dir>, a folder holding bert-base-uncased's ` +
            "tokenizer.json (https://huggingface.co/google-bert/bert-base-uncased/resolve/main/tokenizer.json)",
        );
      }
      const bench = await loadBench();
      if (opts.concurrency) {
        const results = await bench.runConcurrencyBench({
          dataDir,
          tokenizerDir,
          shapes: opts.shapes,
          dtypes: opts.dtypes,
          queries: opts.queries,
          levels: opts.concurrency,
          workers: opts.workers ?? [1, 2],
          threads: opts.threads,
          log: (line) => io.stderr.write(`${line}\n`),
        });
        const table = bench.formatConcurrency(results);
        io.stdout.write(`${table}\n`);
        if (opts.out) await writeFile(opts.out, `${table}\n`);
        return;
      }
      const { peak, summaries } = await bench.runBench({
        dataDir,
        tokenizerDir,
        shapes: opts.shapes,
        dtypes: opts.dtypes,
        queries: opts.queries,
        runs: opts.runs,
        batchTokens: opts.batchTokens,
        maxBatchSize: opts.maxBatchSize,
        threads: opts.threads,
        crossrankOnly: opts.crossrankOnly,
        log: (line) => io.stderr.write(`${line}\n`),
      });
      const report = bench.formatReport(peak, summaries);
      io.stdout.write(`${report}\n`);
      if (opts.out) await writeFile(opts.out, `${report}\n`);
    });
}
