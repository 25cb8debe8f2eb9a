import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { TINY } from "../../../test/setup/fixture-paths.js";

const run = promisify(execFile);
const script = fileURLToPath(new URL("./rerank.ts", import.meta.url));

describe("examples/local-model", () => {
  it("prints the top three candidates with scores", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", script, TINY.bert]);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^query: how do whales breathe {2}\(local:tiny-bert\)$/);
    expect(lines.slice(1)).toHaveLength(3);
    for (const line of lines.slice(1)) expect(line).toMatch(/^0\.\d{4} {2}\[\d\] \S/);
  });

  it("runs from source with `pnpm start`, inference worker included", async () => {
    const { stdout } = await run("pnpm", ["--filter", "@crossrank/example-local-model", "start", TINY.bert]);
    expect(stdout).toMatch(/^query: how do whales breathe {2}\(local:tiny-bert\)$/m);
    expect(stdout.match(/^0\.\d{4} {2}\[\d\] /gm)).toHaveLength(3);
  });

  it("explains its usage when no model is given", async () => {
    const error = (await run(process.execPath, ["--import", "tsx", script], { env: { ...process.env, CROSSRANK_MODEL_PATH: "" } }).catch((e) => e)) as {
      code: number;
      stderr: string;
    };
    expect(error.code).toBe(2);
    expect(error.stderr).toMatch(/usage: rerank\.ts <model folder>/);
  });
});
