import { cpus } from "node:os";
import { readFileSync } from "node:fs";

/** What the CPU says of itself; every field may be missing or zero on a VM. */
export interface CpuReport {
  model: string;
  cores: number;
  /** os.cpus()[0].speed: 0 on some VMs. */
  speedMhz: number;
  /** /proc/cpuinfo's text, or "" where there is none. */
  cpuinfo: string;
  /** process.arch of the process that read it ("x64", "arm64", …). */
  arch?: string;
}

export interface SpecPeak {
  description: string;
  cores: number;
  /** undefined when no clock could be read: then no peak is computed. */
  ghz: number | undefined;
  clockSource: string;
  fp32Gflops: number | undefined;
  int8Gops: number | undefined;
  how: string;
}

export function readCpu(): CpuReport {
  const info = cpus();
  let cpuinfo = "";
  try {
    cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // Not Linux.
  }
  const model = info[0]?.model?.trim() || "unknown CPU";
  return { model, cores: info.length, speedMhz: info[0]?.speed ?? 0, cpuinfo, arch: process.arch };
}

/** The words of the first cpuinfo line with this key ("flags" on x86 Linux, "Features" on arm64 Linux). */
function cpuinfoWords(cpuinfo: string, key: string): Set<string> | undefined {
  const line = new RegExp(`^${key}\\s*:(.*)$`, "m").exec(cpuinfo)?.[1];
  return line === undefined ? undefined : new Set(line.trim().split(/\s+/));
}

/**
 * Which int8 kernels ONNX Runtime's MLAS can pick here, from the CPU's own feature flags (never its vendor or
 * model name). Full-range 8-bit weights can saturate the 16-bit pair sums of the paths without VNNI; where a
 * platform states no flags (macOS, Windows) it says "unknown" rather than guess.
 */
export function int8Path(cpu: CpuReport): string {
  if (cpu.arch === "x64") {
    const flags = cpuinfoWords(cpu.cpuinfo, "flags");
    if (!flags) return "unknown (no CPU flags readable)";
    if (flags.has("avx512_vnni") && flags.has("avx512bw")) return "AVX-512 VNNI";
    if (flags.has("avx_vnni")) return "AVX-VNNI";
    // AVX-512 without VNNI still adds u8×s8 pairs in saturating 16-bit lanes (vpmaddubsw), as AVX2 does.
    if (flags.has("avx512bw")) return "AVX-512 (no VNNI)";
    if (flags.has("avx2")) return "AVX2 (no VNNI)";
    return "SSE (no AVX2)";
  }
  if (cpu.arch === "arm64") {
    const features = cpuinfoWords(cpu.cpuinfo, "Features");
    if (!features) return "arm64 (dot-product: unknown)";
    return `arm64 (dot-product: ${features.has("asimddp") ? "yes" : "no"})`;
  }
  return `unknown (${cpu.arch ?? "unknown architecture"})`;
}

/** The clock, from the first source that states one: the model name's "@ 2.50GHz", os.cpus(), /proc/cpuinfo. */
function clockOf(cpu: CpuReport): { ghz: number | undefined; source: string } {
  const nominal = /@\s*([\d.]+)\s*GHz/i.exec(cpu.model)?.[1];
  if (nominal && Number(nominal) > 0) return { ghz: Number(nominal), source: "model name" };
  if (cpu.speedMhz > 0) return { ghz: cpu.speedMhz / 1000, source: "os.cpus()" };
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(cpu.cpuinfo)?.[1]);
  if (mhz > 0) return { ghz: mhz / 1000, source: "/proc/cpuinfo" };
  return { ghz: undefined, source: "none reported" };
}

/**
 * A spec-sheet peak: cores × clock × operations per cycle, assuming two vector FMA units per core. It is a guess
 * (the clock may be nominal or current, turbo exceeds it, and not every core has two units), so the bench
 * reports it only as an aside beside the peak it measures (gemm-peak.ts).
 */
export function specPeak(cpu: CpuReport = readCpu()): SpecPeak {
  const flags = /^flags\s*:(.*)$/m.exec(cpu.cpuinfo)?.[1] ?? "";
  const has = (f: string) => new RegExp(`\\b${f}\\b`).test(flags);
  const width = has("avx512f") ? 512 : has("avx2") ? 256 : 128;
  const vnni = has("avx512_vnni") || has("avx_vnni");
  const { ghz, source } = clockOf(cpu);
  const lanes = width / 32;
  const fp32PerCycle = 2 * lanes * 2;
  const int8PerCycle = vnni ? 2 * lanes * 4 * 2 : fp32PerCycle * 2;
  const description = `${cpu.model}, ${cpu.cores} cores, ${width}-bit vectors${vnni ? " with VNNI" : ""}`;
  if (ghz === undefined) {
    return { description, cores: cpu.cores, ghz, clockSource: source, fp32Gflops: undefined, int8Gops: undefined, how: "no clock reported: not computed" };
  }
  const clock = Number(ghz.toFixed(3));
  return {
    description,
    cores: cpu.cores,
    ghz,
    clockSource: source,
    fp32Gflops: cpu.cores * ghz * fp32PerCycle,
    int8Gops: cpu.cores * ghz * int8PerCycle,
    how: `${cpu.cores} cores × ${clock} GHz (${source}) × ${fp32PerCycle} FLOP/cycle fp32, ${int8PerCycle} int8 op/cycle, assuming 2 FMA units per core`,
  };
}
