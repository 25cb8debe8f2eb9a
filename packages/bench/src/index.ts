import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { ShapeName } from "@crossrank/model-fixtures";
import { defaultThreads, mapModelWeights } from "@crossrank/onnx";
import { measureGemmPeak, type MeasuredPeak } from "./gemm-peak.js";
import { int8Path, readCpu, specPeak, type SpecPeak } from "./machine.js";
import type { ConcurrencyResult } from "./concurrency.js";
import type { MeasureRequest, MeasureResult } from "./measure.js";
import { benchModel } from "./models.js";

export { encoderFlops } from "./flops.js";
export { measureGemmPeak, PEAK_SHAPE, type MeasuredPeak } from "./gemm-peak.js";
export { int8Path, readCpu, specPeak, type CpuReport, type SpecPeak } from "./machine.js";
export type { MeasureRequest, MeasureResult } from "./measure.js";
export type { ConcurrencyRequest, ConcurrencyResult } from "./concurrency.js";

const run = promisify(execFile);

export interface BenchOptions {
  dataDir: string;
  tokenizerDir: string;
  shapes: ShapeName[];
  dtypes: ("fp32" | "q8")[];
  queries: number;
  /** Repetitions of each configuration; medians are reported. */
  runs: number;
  /** crossrank's batching, when not its defaults. */
  batchTokens?: number;
  maxBatchSize?: number;
  /** ONNX Runtime intra-op threads for both engines and the peak measurement; default: the local provider's. */
  threads?: number;
  /** Skip transformers.js (for tuning crossrank alone). */
  crossrankOnly?: boolean;
  log: (line: string) => void;
}

export interface ConfigSummary {
  engine: MeasureRequest["engine"];
  shape: ShapeName;
  dtype: "fp32" | "q8";
  p50Ms: number;
  p95Ms: number;
  pairsPerSec: number;
  tokensPerSec: number;
  paddingWaste: number;
  gflops: number;
  peakFraction: number;
  peakRssMb: number;
  maxStallMs: number;
  modelMb: number;
  concurrentOverSequential?: number;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};
const median = (values: number[]) => percentile(values, 50);

/**
 * Runs one configuration in a process of its own and returns its last line, parsed; always on the built packages with plain Node: run from the
 * TypeScript sources (`pnpm crossrank`), a TypeScript loader would add its own thread and memory to every figure.
 */
async function inProcess<T>(name: "measure" | "concurrency", request: unknown): Promise<T> {
  const script = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? `../dist/${name}.js` : `./${name}.js`, import.meta.url));
  if (!existsSync(script)) throw new Error(`${script} is missing: the benchmark measures the built packages, so run pnpm build first`);
  const { stdout } = await run(process.execPath, [script, JSON.stringify(request)], { maxBuffer: 16 * 1024 * 1024, timeout: 3_600_000 });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
}

const measure = (request: MeasureRequest) => inProcess<MeasureResult>("measure", request);

/** The peak a configuration is compared with (measured in this run), and the spec-sheet figure as an aside. */
export interface MachinePeaks {
  measured: MeasuredPeak;
  spec: SpecPeak;
  /** The int8 kernels q8 ran on: "AVX-512 VNNI", "AVX-VNNI", "AVX2 (no VNNI)", "arm64 (dot-product: yes)", … */
  int8Path: string;
}

function summarize(results: MeasureResult[], peak: MeasuredPeak, modelMb: number): ConfigSummary {
  const { engine, shape, dtype } = results[0]!.request;
  const per = results.map((r) => {
    const seconds = r.queryMs.reduce((a, b) => a + b, 0) / 1000;
    const gflops = r.flops / 1e9 / seconds;
    return {
      p50: percentile(r.queryMs, 50),
      p95: percentile(r.queryMs, 95),
      pairsPerSec: r.pairs / seconds,
      tokensPerSec: r.realTokens / seconds,
      waste: r.paddedTokens / r.realTokens - 1,
      gflops,
      rss: r.peakRssMb,
      stall: r.maxStallMs,
      conc: r.concurrent8Ms !== undefined && r.sequential8Ms ? r.concurrent8Ms / r.sequential8Ms : undefined,
    };
  });
  const peakGflops = dtype === "q8" ? peak.int8Gops : peak.fp32Gflops;
  const gflops = median(per.map((p) => p.gflops));
  const conc = per.map((p) => p.conc).filter((c): c is number => c !== undefined);
  return {
    engine,
    shape,
    dtype,
    p50Ms: median(per.map((p) => p.p50)),
    p95Ms: median(per.map((p) => p.p95)),
    pairsPerSec: median(per.map((p) => p.pairsPerSec)),
    tokensPerSec: median(per.map((p) => p.tokensPerSec)),
    paddingWaste: median(per.map((p) => p.waste)),
    gflops,
    peakFraction: gflops / peakGflops,
    peakRssMb: Math.max(...per.map((p) => p.rss)),
    maxStallMs: Math.max(...per.map((p) => p.stall)),
    modelMb,
    ...(conc.length ? { concurrentOverSequential: median(conc) } : {}),
  };
}

/** Runs every configuration (crossrank and transformers.js, each shape and dtype) and returns the summaries. */
export async function runBench(options: BenchOptions): Promise<{ peak: MachinePeaks; summaries: ConfigSummary[] }> {
  options.log("measuring this machine's matrix-multiply peak …");
  // Measured at the configurations' thread count, so that a share of it compares like with like.
  const threads = options.threads ?? defaultThreads();
  const cpu = readCpu();
  const measured = await measureGemmPeak({ threads });
  const peak: MachinePeaks = { measured, spec: specPeak(cpu), int8Path: int8Path(cpu) };
  const { statSync } = await import("node:fs");
  const summaries: ConfigSummary[] = [];
  for (const shape of options.shapes) {
    const modelDir = await benchModel(shape, options.tokenizerDir);
    for (const dtype of options.dtypes) {
      const modelFile = `${modelDir}/onnx/${dtype === "fp32" ? "model.onnx" : "model_quantized.onnx"}`;
      const modelMb = statSync(modelFile).size / 1e6;
      // The copy with mappable weights is made once per model ever; the figures are for every load after that.
      await mapModelWeights(modelFile);
      for (const engine of options.crossrankOnly ? (["crossrank"] as const) : (["crossrank", "transformers.js"] as const)) {
        const results: MeasureResult[] = [];
        for (let i = 0; i < options.runs; i++) {
          options.log(`running ${engine} ${shape} ${dtype} (${i + 1}/${options.runs}) …`);
          results.push(
            await measure({ engine, shape, dtype, modelDir, dataDir: options.dataDir, queries: options.queries, batchTokens: options.batchTokens, maxBatchSize: options.maxBatchSize, threads }),
          );
        }
        summaries.push(summarize(results, peak.measured, modelMb));
      }
    }
  }
  return { peak, summaries };
}

function formatSpec(spec: SpecPeak): string {
  if (spec.fp32Gflops === undefined || spec.int8Gops === undefined) return spec.how;
  return `${spec.fp32Gflops.toFixed(0)} GFLOP/s fp32, ${spec.int8Gops.toFixed(0)} GOP/s int8 (${spec.how})`;
}

/** The report as a Markdown table, with speed-ups against transformers.js measured in the same run. */
export function formatReport(peak: MachinePeaks, summaries: ConfigSummary[]): string {
  const tjs = (shape: ShapeName, dtype: string) => summaries.find((s) => s.engine === "transformers.js" && s.shape === shape && s.dtype === dtype);
  const lines = [
    `machine: ${peak.spec.description}`,
    `int8 path: ${peak.int8Path}`,
    `measured peak: ${peak.measured.fp32Gflops.toFixed(0)} GFLOP/s fp32, ${peak.measured.int8Gops.toFixed(0)} GOP/s int8 (${peak.measured.how})`,
    `computed peak (aside, from the spec sheet): ${formatSpec(peak.spec)}`,
    "",
    "| engine | shape | dtype | p50 ms/query | p95 ms/query | pairs/s | tokens/s | padding waste | GFLOP/s | of measured peak | peak RSS MB (model MB) | max stall ms | 8 concurrent / 8 sequential | speed-up vs transformers.js fp32 | vs transformers.js same dtype |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const s of summaries) {
    const base = tjs(s.shape, "fp32");
    const same = tjs(s.shape, s.dtype);
    const ratio = (b: ConfigSummary | undefined) => (b ? `${(b.p50Ms / s.p50Ms).toFixed(2)}×` : "-");
    lines.push(
      `| ${s.engine} | ${s.shape} | ${s.dtype} | ${s.p50Ms.toFixed(0)} | ${s.p95Ms.toFixed(0)} | ${s.pairsPerSec.toFixed(0)} | ${s.tokensPerSec.toFixed(0)} | ${(s.paddingWaste * 100).toFixed(0)}% | ${s.gflops.toFixed(0)} | ${(s.peakFraction * 100).toFixed(0)}% | ${s.peakRssMb.toFixed(0)} (${s.modelMb.toFixed(0)}) | ${s.maxStallMs.toFixed(0)} | ${s.concurrentOverSequential === undefined ? "-" : s.concurrentOverSequential.toFixed(2)} | ${ratio(base)} | ${ratio(same)} |`,
    );
  }
  return lines.join("\n");
}

export interface ConcurrencyOptions {
  dataDir: string;
  tokenizerDir: string;
  shapes: ShapeName[];
  dtypes: ("fp32" | "q8")[];
  queries: number;
  /** Concurrent callers at each level, e.g. [1, 8, 32]. */
  levels: number[];
  /** Worker counts to compare; each gets the cores divided among its workers unless `threads` is set. */
  workers: number[];
  threads?: number;
  log: (line: string) => void;
}

/** `crossrank bench --concurrency`: queries/s and latency at each level, for each worker count, in one run. */
export async function runConcurrencyBench(options: ConcurrencyOptions): Promise<ConcurrencyResult[]> {
  const results: ConcurrencyResult[] = [];
  for (const shape of options.shapes) {
    const modelDir = await benchModel(shape, options.tokenizerDir);
    for (const dtype of options.dtypes) {
      for (const workers of options.workers) {
        const threads = options.threads ?? defaultThreads(workers);
        options.log(`running ${shape} ${dtype}, ${workers} worker(s) × ${threads} thread(s) at ${options.levels.join(", ")} callers …`);
        results.push(await inProcess<ConcurrencyResult>("concurrency", { modelDir, dataDir: options.dataDir, dtype, queries: options.queries, workers, threads, levels: options.levels }));
      }
    }
  }
  return results;
}

export function formatConcurrency(results: ConcurrencyResult[]): string {
  const lines = [
    `int8 path: ${int8Path(readCpu())}`,
    "",
    "| shape | dtype | workers × threads | callers | queries/s | p50 ms/query | p95 ms/query |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    const shape = r.request.modelDir.split(/[\\/]/).at(-1);
    for (const l of r.levels) {
      lines.push(`| ${shape} | ${r.request.dtype} | ${r.request.workers} × ${r.request.threads} | ${l.concurrency} | ${l.queriesPerSec.toFixed(2)} | ${l.p50Ms.toFixed(0)} | ${l.p95Ms.toFixed(0)} |`);
    }
  }
  return lines.join("\n");
}
