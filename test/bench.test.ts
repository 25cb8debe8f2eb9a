import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { skipWithoutSharedData } from "./support/shared-data.js";

const exec = promisify(execFile);
const BIN = fileURLToPath(new URL("../packages/cli/dist/bin.js", import.meta.url));

/** A smoke run: the full benchmark takes many minutes and its figures go to benchmarks/RESULTS.md, not to tests. */
describe.skipIf(skipWithoutSharedData("crossrank bench"))("crossrank bench", () => {
  it("prints every figure for crossrank and transformers.js, measured in the same run", async () => {
    const { stdout } = await exec(process.execPath, [BIN, "bench", "--shapes", "tinybert-l2", "--dtypes", "q8", "--queries", "2"], { timeout: 240_000, maxBuffer: 4 * 1024 * 1024 });
    expect(stdout).toMatch(/^machine: .*\d+ cores/m);
    // Which int8 kernels the q8 figures come from: read from the CPU's flags, "unknown" where there are none.
    const path = /^int8 path: (.*)$/m.exec(stdout)?.[1];
    // One of machine.ts's paths (its own tests cover which flags give which).
    const paths = /^(AVX-512 VNNI|AVX-VNNI|AVX-512 \(no VNNI\)|AVX2 \(no VNNI\)|SSE \(no AVX2\)|arm64 .+|unknown.*)$/;
    expect(path).toMatch(paths);
    const measured = /^measured peak: (\d+) GFLOP\/s fp32, (\d+) GOP\/s int8 \(.*MatMul.*(\d+) intra-op threads/m.exec(stdout);
    expect(measured).not.toBeNull();
    expect(Number(measured![1])).toBeGreaterThan(0);
    expect(Number(measured![2])).toBeGreaterThan(0);
    expect(stdout).toMatch(/^computed peak \(aside, from the spec sheet\): /m);
    const rows = stdout.split("\n").filter((l) => /^\| (crossrank|transformers\.js) \|/.test(l));
    expect(rows.map((r) => r.split("|")[1]!.trim())).toEqual(["crossrank", "transformers.js"]);
    for (const row of rows) {
      const cells = row.split("|").slice(1, -1).map((c) => c.trim());
      expect(cells).toHaveLength(15);
      expect(Number(cells[3])).toBeGreaterThan(0); // p50 ms
      expect(cells[7]).toMatch(/^\d+%$/); // padding waste
      expect(cells[9]).toMatch(/^\d+%$/); // share of the measured peak: finite
      expect(cells[10]).toMatch(/^\d+ \(\d+\)$/); // peak RSS (model)
    }
    const ours = rows[0]!.split("|").slice(1, -1).map((c) => c.trim());
    // Only q8 ran: no transformers.js fp32 baseline, but the same-dtype speed-up is there.
    expect(ours[13]).toBe("-");
    expect(ours[14]).toMatch(/^[\d.]+×$/);
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
