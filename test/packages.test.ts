import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LICENSE = readFileSync(`${ROOT}LICENSE`, "utf8");

const published = readdirSync(`${ROOT}packages`)
  .map((dir) => ({ dir: `${ROOT}packages/${dir}`, pkg: JSON.parse(readFileSync(`${ROOT}packages/${dir}/package.json`, "utf8")) }))
  .filter(({ pkg }) => !pkg.private);

describe("published packages", () => {
  it("there are some", () => expect(published.length).toBeGreaterThanOrEqual(9));

  it.each(published.map((p) => [p.pkg.name, p] as const))("%s declares Apache-2.0 and ships the licence text in its tarball", async (_name, { dir, pkg }) => {
    expect(pkg.license).toBe("Apache-2.0");
    expect(LICENSE).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    expect(readFileSync(`${dir}/LICENSE`, "utf8")).toBe(LICENSE);
    const { stdout } = await exec("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: dir });
    const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain("LICENSE");
    expect(files.some((f) => /scratch|\.tmp\./.test(f))).toBe(false);
  });
});
