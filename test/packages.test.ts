import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

  it.each(published.map((p) => [p.pkg.name, p] as const))("%s: every file its packed manifest exports is in its tarball", async (_name, { dir }) => {
    const out = mkdtempSync(join(tmpdir(), "crossrank-pack-"));
    const { stdout } = await exec("pnpm", ["pack", "--pack-destination", out, "--json"], { cwd: dir });
    const tarball = (JSON.parse(stdout) as { filename: string }).filename;
    const listed = (await exec("tar", ["tzf", tarball])).stdout.split("\n").filter(Boolean).map((f) => f.replace(/^package\//, ""));
    const manifest = JSON.parse((await exec("tar", ["xzOf", tarball, "package/package.json"])).stdout) as Record<string, unknown>;
    const targets: string[] = [];
    const walk = (value: unknown): void => {
      if (typeof value === "string") targets.push(value);
      else if (value && typeof value === "object") Object.values(value).forEach(walk);
    };
    walk(manifest.exports);
    for (const field of ["main", "types", "bin"]) walk(manifest[field]);
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) expect(listed, `${target} (exports of the packed manifest)`).toContain(target.replace(/^\.\//, ""));
  });
});
