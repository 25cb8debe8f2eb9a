import { describe, expect, it } from "vitest";
import { readCpu, specPeak, type CpuReport } from "./machine.js";

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
