import { execFile } from "node:child_process";
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Packs every published package as `pnpm pack` would for the registry (workspace: ranges become versions) and
 * returns name → tarball. Tests then install the tarballs with npm in a folder outside the monorepo, as a user
 * would, so nothing is found through a workspace link.
 */
export async function packPackages(): Promise<Record<string, string>> {
  const out = await mkdtemp(join(tmpdir(), "crossrank-tarballs-"));
  const tarballs: Record<string, string> = {};
  for (const dir of await readdir(join(ROOT, "packages"))) {
    const pkg = JSON.parse(await readFile(join(ROOT, "packages", dir, "package.json"), "utf8"));
    if (pkg.private) continue;
    const { stdout } = await exec("pnpm", ["pack", "--pack-destination", out, "--json"], { cwd: join(ROOT, "packages", dir), env: userEnv() });
    tarballs[pkg.name] = JSON.parse(stdout).filename;
  }
  return tarballs;
}

/**
 * A fresh npm project: `files` copied in, the @crossrank packages it names installed from the tarballs (and every
 * @crossrank package pinned to its tarball through `overrides`, so none is looked up in the registry).
 * onnxruntime-node's install script only downloads CUDA libraries, so it is skipped as the README says.
 */
export async function npmProject(options: {
  name: string;
  tarballs: Record<string, string>;
  /** A folder to copy the project from (node_modules and build output left out). */
  from?: string;
  packageJson?: Record<string, unknown>;
  /**
   * How onnxruntime-node's install script is skipped: the `.npmrc` line, or the environment variable the
   * README's install command sets. Either way an install that runs the script fails offline.
   */
  skipOnnxInstall?: "npmrc" | "env";
}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `crossrank-${options.name}-`));
  if (options.from) {
    await cp(options.from, dir, { recursive: true, filter: (src) => !/[\\/](node_modules|\.next|dist)([\\/]|$)/.test(src) });
  }
  const pkg = options.packageJson ?? JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
  const file = (name: string) => `file:${options.tarballs[name]}`;
  for (const field of ["dependencies", "devDependencies"]) {
    const deps = (pkg[field] ?? {}) as Record<string, string>;
    for (const name of Object.keys(deps)) if (options.tarballs[name]) deps[name] = file(name);
  }
  pkg.overrides = Object.fromEntries(Object.keys(options.tarballs).map((name) => [name, file(name)]));
  await writeFile(join(dir, "package.json"), JSON.stringify(pkg, null, 2));
  const viaEnv = options.skipOnnxInstall === "env";
  await writeFile(join(dir, ".npmrc"), `${viaEnv ? "" : "onnxruntime-node-install=skip\n"}fund=false\naudit=false\n`);
  await mkdir(dir, { recursive: true });
  // The registry is the one thing here that can stall (a request that never answers was seen once): each
  // attempt is bounded, and a stalled one is tried again from npm's cache.
  const args = ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", "--fetch-timeout=60000", "--fetch-retries=4"];
  for (let attempt = 1; ; attempt++) {
    try {
      const env = userEnv(viaEnv ? { ONNXRUNTIME_NODE_INSTALL: "skip" } : {});
      await exec("npm", args, { cwd: dir, env, timeout: 300_000, killSignal: "SIGKILL", maxBuffer: 32 * 1024 * 1024 });
      return dir;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/**
 * The environment of a user's shell: none of what the test runner's launcher adds. pnpm's bin shims set
 * NODE_PATH to the monorepo's store, through which CommonJS resolution would find every workspace package and
 * hide exactly the failures these tests look for.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(NODE_PATH|NODE_OPTIONS|VITEST.*|npm_.*|PNPM_.*|INIT_CWD)$/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? "").split(":").filter((p) => !p.includes("node_modules")).join(":");
  return { ...env, ...extra };
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The README's line that keeps only one platform's onnxruntime-node binaries in a deploy folder, as written there
 * (for linux x64), so the test runs exactly what a user copies.
 */
export async function pruneLineFromReadme(): Promise<string> {
  const readme = await readFile(join(ROOT, "README.md"), "utf8");
  const line = readme.split("\n").find((l) => l.startsWith("find node_modules/onnxruntime-node/bin "));
  if (!line) throw new Error("README.md has no line starting with `find node_modules/onnxruntime-node/bin `");
  return line.replace(/\s+#.*$/, "");
}

/** Bytes of every file below `dir`, links not followed: what a deploy archive would hold. */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await lstat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}
