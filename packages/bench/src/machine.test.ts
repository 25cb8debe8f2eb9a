import { describe, expect, it } from "vitest";
import { int8Path, readCpu, specPeak, type CpuReport } from "./machine.js";

// CPU reports as machines of this kind give them; the tests never depend on the machine they run on.
const AVX512_VNNI = "flags\t\t: fpu sse2 avx avx2 fma avx512f avx512bw avx512_vnni\n";
const intel: CpuReport = { model: "Intel(R) Xeon(R) Processor @ 2.50GHz", cores: 2, speedMhz: 2500, cpuinfo: `cpu MHz\t\t: 2500.000\n${AVX512_VNNI}` };
const amdVm: CpuReport = { model: "AMD EPYC", cores: 2, speedMhz: 0, cpuinfo: `cpu MHz\t\t: 2596.102\n${AVX512_VNNI}` };

describe("spec-sheet peak (the bench's aside)", () => {
  it("takes the clock from the model name when it states one", () => {
    const peak = specPeak(intel);
    expect(peak.ghz).toBe(2.5);
    expect(peak.clockSource).toBe("model name");
    expect(peak.fp32Gflops).toBeCloseTo(2 * 2.5 * 64, 6);
    expect(peak.int8Gops).toBeCloseTo(2 * 2.5 * 256, 6);
  });

  it("falls back to /proc/cpuinfo when the model name has no clock and os.cpus() says 0 MHz", () => {
    const peak = specPeak(amdVm);
    expect(peak.ghz).toBeCloseTo(2.596102, 6);
    expect(peak.clockSource).toBe("/proc/cpuinfo");
    expect(peak.fp32Gflops).toBeGreaterThan(0);
    expect(Number.isFinite(peak.fp32Gflops)).toBe(true);
  });

  it("computes nothing, and says so, when no clock is reported at all", () => {
    const peak = specPeak({ model: "AMD EPYC", cores: 2, speedMhz: 0, cpuinfo: AVX512_VNNI });
    expect(peak.ghz).toBeUndefined();
    expect(peak.fp32Gflops).toBeUndefined();
    expect(peak.how).toMatch(/no clock/);
  });

  it("reads this machine without throwing, whatever it reports", () => {
    const cpu = readCpu();
    expect(cpu.cores).toBeGreaterThan(0);
    const peak = specPeak(cpu);
    if (peak.fp32Gflops !== undefined) expect(Number.isFinite(peak.fp32Gflops) && peak.fp32Gflops > 0).toBe(true);
  });
});

const X86_PATHS = ["AVX-512 VNNI", "AVX-VNNI", "AVX-512 (no VNNI)", "AVX2 (no VNNI)", "SSE (no AVX2)"];
const INT8_PATH = /^(arm64 \(dot-product: (yes|no|unknown)\)|unknown.*)$/;

describe("int8 path (which kernels q8 ran on)", () => {
  const x64 = (flags: string, model = "AMD EPYC"): CpuReport => {
    const cpuinfo = `model name\t: ${model}\nflags\t\t: ${flags}\n`;
    return { model, cores: 2, speedMhz: 0, cpuinfo, arch: "x64" };
  };
  const skylake = "Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz";

  it("reads the instruction set from the flags, whatever the vendor or model name says", () => {
    expect(int8Path(x64("fpu sse2 avx avx2 fma avx512f avx512bw avx512_vnni"))).toBe("AVX-512 VNNI");
    expect(int8Path(x64("fpu sse2 avx avx2 fma avx_vnni", "Intel(R) Core(TM) i7-12700"))).toBe("AVX-VNNI");
    // An AVX2-only EPYC (Rome, Milan), and an AVX-512 CPU without VNNI (Skylake-SP): both sum in 16 bits.
    expect(int8Path(x64("fpu sse2 avx avx2 fma"))).toBe("AVX2 (no VNNI)");
    expect(int8Path(x64("fpu sse2 avx avx2 fma avx512f avx512bw", skylake))).toBe("AVX-512 (no VNNI)");
    expect(int8Path(x64("fpu sse2 sse4_1 sse4_2"))).toBe("SSE (no AVX2)");
    // A flag that merely contains another's name is not that flag.
    expect(int8Path(x64("fpu avx2 avx512_vnnix"))).toBe("AVX2 (no VNNI)");
  });

  it("reports the dot-product extension on arm64 Linux", () => {
    const arm = (features: string): CpuReport => {
      const cpuinfo = `processor\t: 0\nFeatures\t: ${features}\n`;
      return { model: "unknown CPU", cores: 4, speedMhz: 0, cpuinfo, arch: "arm64" };
    };
    const neoverseN1 = "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm dcpop asimddp";
    expect(int8Path(arm(neoverseN1))).toBe("arm64 (dot-product: yes)");
    expect(int8Path(arm("fp asimd evtstrm crc32 cpuid"))).toBe("arm64 (dot-product: no)");
  });

  it("says unknown rather than guess where no flags can be read (macOS, Windows)", () => {
    const noFlags = (model: string, arch: string): CpuReport => ({ model, cores: 8, speedMhz: 0, cpuinfo: "", arch });
    expect(int8Path(noFlags("Apple M2", "arm64"))).toBe("arm64 (dot-product: unknown)");
    expect(int8Path(noFlags("Intel(R) Core(TM) i9-9880H", "x64"))).toMatch(/^unknown/);
    expect(int8Path(noFlags("unknown CPU", "riscv64"))).toBe("unknown (riscv64)");
  });

  it("names one of the known paths for this machine", () => {
    const path = int8Path(readCpu());
    expect(X86_PATHS.includes(path) || INT8_PATH.test(path)).toBe(true);
  });
});
