/**
 * examples/nextjs, installed from the packed tarballs with npm in a folder outside the monorepo, built and served
 * by Next.js with Turbopack and with webpack, and once under `next dev`; its routes are called over HTTP and must
 * answer exactly what crossrank answers in plain Node on the same model. next.config has no crossrank lines.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createReranker } from "@crossrank/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES_DIR, TINY } from "../setup/fixture-paths.js";
import { folderBytes, freePort, npmProject, packPackages, pruneLineFromReadme, userEnv } from "../support/packed-app.js";
import { startProcess, waitForHttp, type ServerProcess } from "../support/server-process.js";

const exec = promisify(execFile);
const EXAMPLE = fileURLToPath(new URL("../../examples/nextjs/", import.meta.url));
const QUERY = "when is low tide";
const DOCUMENTS = ["Low tide comes six hours after high tide.", "The ferry leaves at noon.", "Knead the dough for ten minutes."];
const env = userEnv({
  CROSSRANK_MODELS_DIR: FIXTURES_DIR,
  CROSSRANK_MODEL: "tiny-bert",
  CROSSRANK_OFFLINE: "1",
  NEXT_TELEMETRY_DISABLED: "1",
});

let app: string;
let expected: { index: number; score: number; rawScore: number }[];
let expectedSearch: { id: string; relevanceScore: number }[];
const servers: ServerProcess[] = [];

beforeAll(async () => {
  app = await npmProject({ name: "nextjs", from: EXAMPLE, tarballs: await packPackages() });
  const reranker = await createReranker({ provider: "local", modelPath: TINY.bert });
  expected = await reranker.rerank(QUERY, DOCUMENTS);
  // The example's search: its keyword first stage over its corpus, then crossrank.
  const { PASSAGES } = (await import(join(EXAMPLE, "lib/corpus.ts"))) as { PASSAGES: { id: string; text: string }[] };
  const words = new Set(QUERY.split(" "));
  const candidates = PASSAGES.filter((p) => p.text.toLowerCase().match(/\w+/g)!.some((w) => words.has(w)));
  const scored = await reranker.rerank(QUERY, candidates.map((c) => c.text), { topN: 3 });
  expectedSearch = scored.map((r) => ({ id: candidates[r.index]!.id, relevanceScore: r.score }));
  await reranker.close?.();
}, 1_200_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

async function serve(args: string[]): Promise<{ base: string; server: ServerProcess }> {
  const port = await freePort();
  const server = startProcess(join(app, "node_modules/.bin/next"), [...args, "-p", String(port), "-H", "127.0.0.1"], { cwd: app, env });
  servers.push(server);
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/api/search?q=warmup`, server);
  return { base, server };
}

async function checkRoutes(base: string, server: ServerProcess): Promise<void> {
  const rerank = await fetch(`${base}/api/rerank`, { method: "POST", body: JSON.stringify({ query: QUERY, documents: DOCUMENTS }) });
  const body = (await rerank.json()) as any;
  expect(rerank.status, `${JSON.stringify(body)}\n${server.output()}`).toBe(200);
  expect(body.results.map((r: { index: number }) => r.index)).toEqual(expected.map((r) => r.index));
  body.results.forEach((r: { score: number }, i: number) => expect(r.score).toBeCloseTo(expected[i]!.score, 5));

  const search = await fetch(`${base}/api/search?q=${encodeURIComponent(QUERY)}`);
  const found = (await search.json()) as any;
  expect(search.status, JSON.stringify(found)).toBe(200);
  expect(found.hits.map((h: { id: string }) => h.id)).toEqual(expectedSearch.map((h) => h.id));
  found.hits.forEach((h: { relevanceScore: number }, i: number) => expect(h.relevanceScore).toBeCloseTo(expectedSearch[i]!.relevanceScore, 5));

  const invalid = await fetch(`${base}/api/rerank`, { method: "POST", body: JSON.stringify({ query: "", documents: DOCUMENTS }) });
  expect(invalid.status).toBe(400);
  expect(((await invalid.json()) as any).error.code).toBe("INVALID_INPUT");
}

/** Calls a server action as React's client does for plain arguments: its id in Next-Action, the arguments as JSON. */
async function callServerAction(base: string, name: string, args: unknown[]): Promise<string> {
  const manifest = JSON.parse(await readFile(join(app, ".next/server/server-reference-manifest.json"), "utf8"));
  const id = Object.entries(manifest.node as Record<string, { exportedName?: string }>).find(([, a]) => a.exportedName === name)?.[0];
  expect(id, `${name} in the server reference manifest`).toBeTruthy();
  const response = await fetch(`${base}/`, {
    method: "POST",
    headers: { "Next-Action": id!, Accept: "text/x-component", "Content-Type": "text/plain;charset=UTF-8" },
    body: JSON.stringify(args),
  });
  expect(response.status).toBe(200);
  return response.text();
}

describe.sequential("examples/nextjs from the packed tarballs, no crossrank lines in next.config", () => {
  it("next.config has nothing crossrank-specific", async () => {
    const code = (await readFile(join(app, "next.config.ts"), "utf8")).replace(/\/\/.*$/gm, "");
    expect(code).not.toMatch(/crossrank|onnxruntime|serverExternalPackages|outputFileTracing|webpack|turbopack/i);
    expect(code).toMatch(/const nextConfig: NextConfig = \{\};/);
  });

  for (const bundler of ["turbopack", "webpack"] as const) {
    it(`next build (${bundler}) + next start: the route handlers and the server action answer as plain Node does`, async () => {
      const { stdout, stderr } = await exec(join(app, "node_modules/.bin/next"), ["build", ...(bundler === "webpack" ? ["--webpack"] : [])], {
        cwd: app,
        env,
        timeout: 600_000,
        maxBuffer: 32 * 1024 * 1024,
      });
      expect(`${stdout}${stderr}`).not.toMatch(/Critical dependency|Module not found/);
      // Next.js writes its own page paths; no path into crossrank's packages (such as the worker's) may be baked in.
      const baked = await exec("grep", ["-rlE", `${app}/node_modules/@crossrank|inference-worker\\.js`, join(app, ".next/server")]).catch(() => ({ stdout: "" }));
      expect(baked.stdout, "no build path of crossrank's in the server output").toBe("");
      const { base, server } = await serve(["start"]);
      await checkRoutes(base, server);
      const payload = await callServerAction(base, "searchQuery", [QUERY]);
      const ids = [...payload.matchAll(/"id":"([^"]+)"/g)].map((m) => m[1]);
      expect(ids, payload).toEqual(expectedSearch.map((h) => h.id));
      await server.stop();
    }, 900_000);
  }

  it("output: standalone, with onnxruntime-node copied beside it as the README says, runs from another folder", async () => {
    // The user's deployment choice, not crossrank's: the one line a standalone build needs.
    await writeFile(join(app, "next.config.ts"), `import type { NextConfig } from "next";\nconst nextConfig: NextConfig = { output: "standalone" };\nexport default nextConfig;\n`);
    await exec(join(app, "node_modules/.bin/next"), ["build"], { cwd: app, env, timeout: 600_000, maxBuffer: 32 * 1024 * 1024 });
    const deployed = await mkdtemp(join(tmpdir(), "crossrank-standalone-"));
    await cp(join(app, ".next/standalone"), deployed, { recursive: true, verbatimSymlinks: false });
    for (const pkg of ["onnxruntime-node", "onnxruntime-common"]) {
      await rm(join(deployed, "node_modules", pkg), { recursive: true, force: true });
      await cp(join(app, "node_modules", pkg), join(deployed, "node_modules", pkg), { recursive: true });
    }
    const before = await folderBytes(deployed);
    const prune = (await pruneLineFromReadme()).replace("linux/x64", `${process.platform}/${process.arch}`);
    await exec("sh", ["-c", prune], { cwd: deployed });
    const after = await folderBytes(deployed);
    console.log(`Next.js standalone: ${(before / 1e6).toFixed(1)} MB as copied, ${(after / 1e6).toFixed(1)} MB with one platform's binaries`);
    expect(after).toBeLessThan(250e6);
    const port = await freePort();
    const server = startProcess(process.execPath, [join(deployed, "server.js")], { cwd: deployed, env: { ...env, PORT: String(port), HOSTNAME: "127.0.0.1" } });
    servers.push(server);
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/api/search?q=warmup`, server);
    await checkRoutes(base, server);
    await server.stop();
  }, 900_000);

  it("next dev answers too", async () => {
    const { base, server } = await serve(["dev"]);
    await checkRoutes(base, server);
    await server.stop();
  }, 600_000);
});
