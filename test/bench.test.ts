import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { skipWithoutSharedData } from "./support/shared-data.js";

const exec = promisify(execFile);
const BIN = fileURLToPath(new URL("../packages/cli/dist/bin.js", import.meta.url));

/** A smoke run: the full benchmark takes many minutes and its figures go to benchmarks/RESULTS.md, not to tests. */
describe.skipIf(skipWithoutSharedData("crossrank bench"))("crossrank bench", () => {
  it("prints every figure for crossrank (defaults and one worker) and transformers.js, interleaved in one run", async () => {
    const { stdout } = await exec(process.execPath, [BIN, "bench", "--shapes", "tinybert-l2", "--dtypes", "q8", "--queries", "2"], { timeout: 240_000, maxBuffer: 4 * 1024 * 1024 });
    expect(stdout).toMatch(/^machine: .*\d+ cores/m);
    // Which int8 kernels the q8 figures come from: read from the CPU's flags, "unknown" where there are none.
    const path = /^int8 path: (.*)$/m.exec(stdout)?.[1];
    // One of machine.ts's paths (its own tests cover which flags give which).
    const paths = /^(AVX-512 VNNI|AVX-VNNI|AVX-512 \(no VNNI\)|AVX2 \(no VNNI\)|SSE \(no AVX2\)|arm64 .+|unknown.*)$/;
    expect(path).toMatch(paths);
    // The peak, measured just before and just after the shape's run, and whether it held.
    const peak = /^measured peak around tinybert-l2: before (\d+) GFLOP\/s fp32, (\d+) GOP\/s int8; after (\d+) GFLOP\/s fp32, (\d+) GOP\/s int8; moved (\d+)%: (.*)$/m.exec(stdout);
    expect(peak).not.toBeNull();
    for (const figure of peak!.slice(1, 5)) expect(Number(figure)).toBeGreaterThan(0);
    const [before, after] = [Number(peak![1]), Number(peak![3])];
    const moved = Math.max(Math.abs(after - before) / before, Math.abs(Number(peak![4]) - Number(peak![2])) / Number(peak![2]));
    // Rounded figures: the verdict is the one the unrounded move gives, so only a clear case is checked.
    if (moved > 0.17) expect(peak![6]).toMatch(/^UNRELIABLE/);
    if (moved < 0.13) expect(peak![6]).toBe("reliable");
    expect(stdout).toMatch(/^how the peak is measured: .*MatMul.*\d+ intra-op threads/m);
    expect(stdout).toMatch(/^computed peak \(aside, from the spec sheet\): /m);
    const rows = stdout.split("\n").filter((l) => /^\| (crossrank|transformers\.js) \|/.test(l));
    const cells = rows.map((row) => row.split("|").slice(1, -1).map((c) => c.trim()));
    expect(cells.map((c) => [c[0], c[1]])).toEqual([
      ["crossrank", expect.stringMatching(/^\d+ × \d+ \(defaults\)$/)],
      ["crossrank", expect.stringMatching(/^1 × \d+$/)],
      ["transformers.js", expect.stringMatching(/^1 × \d+$/)],
    ]);
    for (const c of cells) {
      expect(c).toHaveLength(18);
      expect(Number(c[4])).toBeGreaterThan(0); // p50 ms, cold
      expect(c[8]).toMatch(/^\d+%$/); // padding waste
      expect(c[10]).toMatch(/^\d+%$/); // share of the measured peak: finite
      expect(c[13]).toMatch(/^\d+ \(\d+\)$/); // peak RSS (model)
    }
    for (const ours of cells.slice(0, 2)) {
      expect(Number(ours[5])).toBeGreaterThan(0); // p50 ms with the token cache warm
      expect(ours[11]).toMatch(/^\d+%$/); // tokenization share
      expect(ours[12]).toMatch(/^\d+% \/ \d+%$/); // main thread busy, cold / warm
      // Only q8 ran: no transformers.js fp32 baseline, but the same-dtype speed-up is there.
      expect(ours[16]).toBe("-");
      expect(ours[17]).toMatch(/^[\d.]+×$/);
    }
    expect(cells[2]!.slice(5, 6)).toEqual(["-"]); // transformers.js has no token cache
  });

  it("--concurrency reports queries/s and p50/p95 at each level, for each worker count", async () => {
    const { stdout } = await exec(process.execPath, [BIN, "bench", "--shapes", "tinybert-l2", "--dtypes", "q8", "--queries", "3", "--concurrency", "1,3", "--workers", "1,2"], {
      timeout: 240_000,
      maxBuffer: 4 * 1024 * 1024,
    });
    expect(stdout).toMatch(/^int8 path: \S/m);
    const rows = stdout.split("\n").filter((l) => /^\| tinybert-l2 \|/.test(l)).map((l) => l.split("|").slice(1, -1).map((c) => c.trim()));
    expect(rows.map((r) => [r[2], r[3]])).toEqual([
      [expect.stringMatching(/^1 × \d+$/), "1"],
      [expect.stringMatching(/^1 × \d+$/), "3"],
      [expect.stringMatching(/^2 × \d+$/), "1"],
      [expect.stringMatching(/^2 × \d+$/), "3"],
    ]);
    for (const r of rows) {
      expect(Number(r[4])).toBeGreaterThan(0);
      expect(Number(r[5])).toBeLessThanOrEqual(Number(r[6]));
    }
  });
});
