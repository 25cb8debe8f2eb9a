import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { ShapeName } from "@crossrank/model-fixtures";
import { defaultThreads, mapModelWeights } from "@crossrank/onnx";
import { measureGemmPeak, type MeasuredPeak } from "./gemm-peak.js";
import { int8Path, readCpu, specPeak, type SpecPeak } from "./machine.js";
import type { ConcurrencyResult } from "./concurrency.js";
import { builtScript, runInterleaved } from "./interleave.js";
import type { MeasureRequest, MeasureResult } from "./measure.js";
import { benchModel } from "./models.js";

export { encoderFlops } from "./flops.js";
export { measureGemmPeak, PEAK_SHAPE, type MeasuredPeak } from "./gemm-peak.js";
export { int8Path, readCpu, specPeak, type CpuReport, type SpecPeak } from "./machine.js";
export type { MeasureRequest, MeasureResult, QueryTiming } from "./measure.js";
export type { ConcurrencyRequest, ConcurrencyResult } from "./concurrency.js";

const run = promisify(execFile);

export interface BenchOptions {
  dataDir: string;
  tokenizerDir: string;
  shapes: ShapeName[];
  dtypes: ("fp32" | "q8")[];
  queries: number;
  /** Repetitions of each shape's interleaved run; medians are reported. */
  runs: number;
  /** crossrank's batching, when not its defaults. */
  batchTokens?: number;
  maxBatchSize?: number;
  /**
   * Intra-op threads for transformers.js, crossrank's single-worker configuration and the peak measurement;
   * default: the cores available. crossrank's defaults configuration always runs as the provider's defaults.
   */
  threads?: number;
  /** Skip transformers.js (for tuning crossrank alone). */
  crossrankOnly?: boolean;
  log: (line: string) => void;
}

export interface ConfigSummary {
  engine: MeasureRequest["engine"];
  /** crossrank: "defaults" or "1 worker"; transformers.js: "". */
  layout: string;
  workers: number;
  threads: number;
  shape: ShapeName;
  dtype: "fp32" | "q8";
  p50Ms: number;
  p95Ms: number;
  /** crossrank: the same query again, its passages in the token cache. */
  p50WarmMs?: number;
  pairsPerSec: number;
  tokensPerSec: number;
  paddingWaste: number;
  gflops: number;
  peakFraction: number;
  /** crossrank: median over queries of (tokenization alone) / (the cold call's wall time). */
  tokenizationShare?: number;
  /** Median share of a call's wall time the main thread was busy, cold and warm. */
  busyCold: number;
  busyWarm?: number;
  peakRssMb: number;
  maxStallMs: number;
  modelMb: number;
  concurrentOverSequential?: number;
}

/** The measured peak before and after a shape's run, and whether the machine's speed held between them. */
export interface PeakWindow {
  shape: ShapeName;
  before: MeasuredPeak;
  after: MeasuredPeak;
  /** Largest relative change of the fp32 and int8 peaks. */
  moved: number;
  reliable: boolean;
}

/** A run whose peak moved more than this between before and after measured a machine whose speed changed. */
export const PEAK_MOVE_LIMIT = 0.15;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};
const median = (values: number[]) => percentile(values, 50);

/** Runs one process to its end and returns its last line, parsed. */
async function inProcess<T>(name: "concurrency", request: unknown): Promise<T> {
  const { stdout } = await run(process.execPath, [builtScript(name), JSON.stringify(request)], { maxBuffer: 16 * 1024 * 1024, timeout: 3_600_000 });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
}

/** The peak a configuration is compared with (measured in this run), and the spec-sheet figure as an aside. */
export interface MachinePeaks {
  /** Around each shape's run. */
  windows: PeakWindow[];
  spec: SpecPeak;
  /** The int8 kernels q8 ran on: "AVX-512 VNNI", "AVX-VNNI", "AVX2 (no VNNI)", "arm64 (dot-product: yes)", … */
  int8Path: string;
}

function peakWindow(shape: ShapeName, before: MeasuredPeak, after: MeasuredPeak): PeakWindow {
  const change = (a: number, b: number) => Math.abs(b - a) / a;
  const moved = Math.max(change(before.fp32Gflops, after.fp32Gflops), change(before.int8Gops, after.int8Gops));
  return { shape, before, after, moved, reliable: moved <= PEAK_MOVE_LIMIT };
}

function summarize(results: MeasureResult[], window: PeakWindow, modelMb: number): ConfigSummary {
  const { engine, shape, dtype, workers: asked } = results[0]!.request;
  const per = results.map((r) => {
    const cold = r.queries.map((q) => q.coldMs);
    const seconds = cold.reduce((a, b) => a + b, 0) / 1000;
    const warm = r.queries.flatMap((q) => (q.warmMs === undefined ? [] : [q.warmMs]));
    const shares = r.queries.flatMap((q) => (q.tokenizeMs === undefined ? [] : [q.tokenizeMs / q.coldMs]));
    const busyWarm = r.queries.flatMap((q) => (q.busyWarm === undefined ? [] : [q.busyWarm]));
    return {
      p50: percentile(cold, 50),
      p95: percentile(cold, 95),
      warm: warm.length ? percentile(warm, 50) : undefined,
      pairsPerSec: r.pairs / seconds,
      tokensPerSec: r.realTokens / seconds,
      waste: r.paddedTokens / r.realTokens - 1,
      gflops: r.flops / 1e9 / seconds,
      share: shares.length ? median(shares) : undefined,
      busyCold: median(r.queries.map((q) => q.busyCold)),
      busyWarm: busyWarm.length ? median(busyWarm) : undefined,
      rss: r.peakRssMb,
      stall: r.maxStallMs,
      conc: r.concurrent8Ms !== undefined && r.sequential8Ms ? r.concurrent8Ms / r.sequential8Ms : undefined,
    };
  });
  const peak = (p: MeasuredPeak) => (dtype === "q8" ? p.int8Gops : p.fp32Gflops);
  const gflops = median(per.map((p) => p.gflops));
  const defined = (values: (number | undefined)[]) => values.filter((v): v is number => v !== undefined);
  const optional = (values: (number | undefined)[]) => (defined(values).length ? median(defined(values)) : undefined);
  const conc = optional(per.map((p) => p.conc));
  const warm = optional(per.map((p) => p.warm));
  const share = optional(per.map((p) => p.share));
  const busyWarm = optional(per.map((p) => p.busyWarm));
  return {
    engine,
    layout: engine === "transformers.js" ? "" : asked ? `${asked} worker${asked === 1 ? "" : "s"}` : "defaults",
    workers: results[0]!.workers,
    threads: results[0]!.threads,
    shape,
    dtype,
    p50Ms: median(per.map((p) => p.p50)),
    p95Ms: median(per.map((p) => p.p95)),
    ...(warm === undefined ? {} : { p50WarmMs: warm }),
    pairsPerSec: median(per.map((p) => p.pairsPerSec)),
    tokensPerSec: median(per.map((p) => p.tokensPerSec)),
    paddingWaste: median(per.map((p) => p.waste)),
    gflops,
    // Against the mean of the peaks measured just before and just after the run.
    peakFraction: gflops / ((peak(window.before) + peak(window.after)) / 2),
    ...(share === undefined ? {} : { tokenizationShare: share }),
    busyCold: median(per.map((p) => p.busyCold)),
    ...(busyWarm === undefined ? {} : { busyWarm }),
    peakRssMb: Math.max(...per.map((p) => p.rss)),
    maxStallMs: Math.max(...per.map((p) => p.stall)),
    modelMb,
    ...(conc === undefined ? {} : { concurrentOverSequential: conc }),
  };
}

/**
 * Runs every configuration of a shape together, query by query: crossrank at the provider's defaults and as one
 * worker with all the threads, and transformers.js, for each dtype; the machine's GEMM peak is measured just before
 * and just after, and a run whose peak moved more than PEAK_MOVE_LIMIT is flagged as unreliable.
 */
export async function runBench(options: BenchOptions): Promise<{ peak: MachinePeaks; summaries: ConfigSummary[] }> {
  const threads = options.threads ?? defaultThreads();
  const cpu = readCpu();
  const peak: MachinePeaks = { windows: [], spec: specPeak(cpu), int8Path: int8Path(cpu) };
  const { statSync } = await import("node:fs");
  const summaries: ConfigSummary[] = [];
  for (const shape of options.shapes) {
    const modelDir = await benchModel(shape, options.tokenizerDir);
    const requests: MeasureRequest[] = [];
    const modelMb = new Map<string, number>();
    for (const dtype of options.dtypes) {
      const modelFile = `${modelDir}/onnx/${dtype === "fp32" ? "model.onnx" : "model_quantized.onnx"}`;
      modelMb.set(dtype, statSync(modelFile).size / 1e6);
      // The copy with mappable weights is made once per model ever; the figures are for every load after that.
      await mapModelWeights(modelFile);
      const common = { shape, dtype, modelDir, dataDir: options.dataDir, queries: options.queries, batchTokens: options.batchTokens, maxBatchSize: options.maxBatchSize };
      requests.push({ engine: "crossrank", ...common });
      requests.push({ engine: "crossrank", ...common, workers: 1, threads });
      if (!options.crossrankOnly) requests.push({ engine: "transformers.js", ...common, threads });
    }
    const runs: MeasureResult[][] = [];
    options.log(`measuring the GEMM peak before ${shape} …`);
    const before = await measureGemmPeak({ threads });
    for (let i = 0; i < options.runs; i++) {
      options.log(`running ${shape}: ${requests.length} configurations interleaved (${i + 1}/${options.runs}) …`);
      runs.push(await runInterleaved(requests, options.queries, options.log));
    }
    options.log(`measuring the GEMM peak after ${shape} …`);
    const window = peakWindow(shape, before, await measureGemmPeak({ threads }));
    peak.windows.push(window);
    requests.forEach((request, k) => summaries.push(summarize(runs.map((r) => r[k]!), window, modelMb.get(request.dtype)!)));
  }
  return { peak, summaries };
}

function formatSpec(spec: SpecPeak): string {
  if (spec.fp32Gflops === undefined || spec.int8Gops === undefined) return spec.how;
  return `${spec.fp32Gflops.toFixed(0)} GFLOP/s fp32, ${spec.int8Gops.toFixed(0)} GOP/s int8 (${spec.how})`;
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

/** The report as a Markdown table, with speed-ups against transformers.js measured in the same interleaved run. */
export function formatReport(peak: MachinePeaks, summaries: ConfigSummary[]): string {
  const tjs = (shape: ShapeName, dtype: string) => summaries.find((s) => s.engine === "transformers.js" && s.shape === shape && s.dtype === dtype);
  const lines = [`machine: ${peak.spec.description}`, `int8 path: ${peak.int8Path}`];
  for (const w of peak.windows) {
    lines.push(
      `measured peak around ${w.shape}: before ${w.before.fp32Gflops.toFixed(0)} GFLOP/s fp32, ${w.before.int8Gops.toFixed(0)} GOP/s int8; ` +
        `after ${w.after.fp32Gflops.toFixed(0)} GFLOP/s fp32, ${w.after.int8Gops.toFixed(0)} GOP/s int8; moved ${pct(w.moved)}: ` +
        (w.reliable ? "reliable" : `UNRELIABLE (the machine's speed moved more than ${pct(PEAK_MOVE_LIMIT)} during the run)`),
    );
  }
  if (peak.windows[0]) lines.push(`how the peak is measured: ${peak.windows[0].before.how}`);
  lines.push(
    `computed peak (aside, from the spec sheet): ${formatSpec(peak.spec)}`,
    "",
    "| engine | workers × threads | shape | dtype | p50 ms/query | p50 ms warm | p95 ms/query | pairs/s | padding waste | GFLOP/s | " +
      "of measured peak | tokenization share | main thread busy (cold / warm) | peak RSS MB (model MB) | max stall ms | " +
      "8 concurrent / 8 sequential | speed-up vs transformers.js fp32 | vs transformers.js same dtype |",
    "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const s of summaries) {
    const base = tjs(s.shape, "fp32");
    const same = tjs(s.shape, s.dtype);
    const ratio = (b: ConfigSummary | undefined) => (b ? `${(b.p50Ms / s.p50Ms).toFixed(2)}×` : "-");
    const cells = [
      s.engine,
      `${s.workers} × ${s.threads}${s.layout === "defaults" ? " (defaults)" : ""}`,
      s.shape,
      s.dtype,
      s.p50Ms.toFixed(0),
      s.p50WarmMs === undefined ? "-" : s.p50WarmMs.toFixed(0),
      s.p95Ms.toFixed(0),
      s.pairsPerSec.toFixed(0),
      pct(s.paddingWaste),
      s.gflops.toFixed(0),
      pct(s.peakFraction),
      s.tokenizationShare === undefined ? "-" : pct(s.tokenizationShare),
      `${pct(s.busyCold)} / ${s.busyWarm === undefined ? "-" : pct(s.busyWarm)}`,
      `${s.peakRssMb.toFixed(0)} (${s.modelMb.toFixed(0)})`,
      s.maxStallMs.toFixed(0),
      s.concurrentOverSequential === undefined ? "-" : s.concurrentOverSequential.toFixed(2),
      ratio(base),
      ratio(same),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
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
