import { cpus } from "node:os";
import { readFileSync } from "node:fs";

export interface MachinePeak {
  description: string;
  cores: number;
  ghz: number;
  fp32Gflops: number;
  int8Gops: number;
  how: string;
}

/**
 * The theoretical peak, computed from what the CPU reports: cores × clock × operations per cycle per core, with two
 * vector FMA units per core (as on server x86 cores with AVX-512). fp32: 2 units × (vector width / 32) lanes × 2
 * FLOPs. int8 with VNNI: 2 units × (width / 32) × 4 multiply-adds × 2. The clock is the nominal one in the model
 * name when it states one (turbo can exceed it), else /proc/cpuinfo's current MHz.
 */
export function machinePeak(): MachinePeak {
  const info = cpus();
  const model = info[0]?.model ?? "unknown CPU";
  let flags = "";
  try {
    flags = readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1] ?? "";
  } catch {
    // Not Linux: fall back to AVX2-class assumptions below.
  }
  const has = (f: string) => new RegExp(`\\b${f}\\b`).test(flags);
  const width = has("avx512f") ? 512 : has("avx2") ? 256 : 128;
  const vnni = has("avx512_vnni") || has("avx_vnni");
  const nominal = /@\s*([\d.]+)\s*GHz/i.exec(model)?.[1];
  const ghz = nominal ? Number(nominal) : (info[0]?.speed ?? 0) / 1000;
  const cores = info.length;
  const lanes = width / 32;
  const fp32PerCycle = 2 * lanes * 2;
  const int8PerCycle = vnni ? 2 * lanes * 4 * 2 : fp32PerCycle * 2;
  return {
    description: `${model}, ${cores} cores, ${width}-bit vectors${vnni ? " with VNNI" : ""}`,
    cores,
    ghz,
    fp32Gflops: cores * ghz * fp32PerCycle,
    int8Gops: cores * ghz * int8PerCycle,
    how: `${cores} cores × ${ghz} GHz × ${fp32PerCycle} FLOP/cycle fp32 (2 FMA units × ${lanes} lanes × 2), ${int8PerCycle} int8 op/cycle${vnni ? " (VNNI: 2 units × " + lanes + " lanes × 4 MACs × 2)" : ""}`,
  };
}
