/**
 * The serverless recipe: an app that imports @crossrank/core and @crossrank/onnx, installed from the packed
 * tarballs, bundled by esbuild into one file with onnxruntime-node left external, then moved to another folder
 * with only the bundle and onnxruntime-node (and onnxruntime-common) beside it, and run from yet another
 * working directory.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createReranker } from "@crossrank/core";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { FIXTURES_DIR, TINY } from "../setup/fixture-paths.js";
import { folderBytes, npmProject, packPackages, pruneLineFromReadme, userEnv } from "../support/packed-app.js";

const exec = promisify(execFile);
const QUERY = "when is low tide";
const DOCUMENTS = ["Low tide comes six hours after high tide.", "The ferry leaves at noon.", "Knead the dough for ten minutes."];

const APP = `
import { createReranker } from "@crossrank/core";
import "@crossrank/onnx";

const reranker = await createReranker(process.env.CROSSRANK_PROVIDER ?? "local:tiny-bert");
const results = await reranker.rerank(${JSON.stringify(QUERY)}, ${JSON.stringify(DOCUMENTS)});
await reranker.close();
console.log(JSON.stringify(results));
`;

let project: string;
let deployed: string;
let bytesBeforePrune: number;

beforeAll(async () => {
  project = await npmProject({
    name: "lambda",
    tarballs: await packPackages(),
    packageJson: { name: "lambda-app", private: true, dependencies: { "@crossrank/core": "0.1.0", "@crossrank/onnx": "0.1.0" } },
    // The README's install line: ONNXRUNTIME_NODE_INSTALL=skip npm install @crossrank/core @crossrank/onnx
    skipOnnxInstall: "env",
  });
  await writeFile(join(project, "app.ts"), APP);
  // The command the README gives: esbuild app.ts --bundle --platform=node --format=esm --external:onnxruntime-node
  await build({ entryPoints: [join(project, "app.ts")], bundle: true, platform: "node", format: "esm", external: ["onnxruntime-node"], outfile: join(project, "dist/app.mjs"), absWorkingDir: project, logLevel: "silent" });
  deployed = await mkdtemp(join(tmpdir(), "crossrank-deployed-"));
  await cp(join(project, "dist"), join(deployed, "dist"), { recursive: true });
  for (const pkg of ["onnxruntime-node", "onnxruntime-common"]) {
    await mkdir(join(deployed, "node_modules"), { recursive: true });
    await cp(join(project, "node_modules", pkg), join(deployed, "node_modules", pkg), { recursive: true });
  }
  bytesBeforePrune = await folderBytes(deployed);
  // The README's size line, for this machine's platform instead of its example's linux/x64.
  const prune = (await pruneLineFromReadme()).replace("linux/x64", `${process.platform}/${process.arch}`);
  await exec("sh", ["-c", prune], { cwd: deployed });
}, 1_200_000);

describe("an esbuild bundle (the Lambda recipe)", () => {
  it("is one file with no worker file to find and no build path in it", async () => {
    expect(await readdir(join(deployed, "dist"))).toEqual(["app.mjs"]);
    const code = await readFile(join(deployed, "dist/app.mjs"), "utf8");
    expect(code).not.toContain(project);
    expect(code).not.toMatch(/inference-worker\.js/);
  });

  it("fits a Lambda (250 MB unzipped) with room for a model once the README's line keeps one platform's binaries", async () => {
    const after = await folderBytes(deployed);
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    console.log(`esbuild deploy folder: ${mb(bytesBeforePrune)} as installed, ${mb(after)} with one platform's binaries`);
    expect(bytesBeforePrune).toBeGreaterThan(after);
    expect(after).toBeLessThan(150e6);
    const bin = join(deployed, "node_modules/onnxruntime-node/bin/napi-v6");
    const kept: string[] = [];
    for (const platform of await readdir(bin)) for (const arch of await readdir(join(bin, platform))) kept.push(`${platform}/${arch}`);
    expect(kept).toEqual([`${process.platform}/${process.arch}`]);
  });

  it("runs from another folder with only dist/ and onnxruntime-node beside it, and ranks as plain Node does", async () => {
    const { stdout } = await exec(process.execPath, [join(deployed, "dist/app.mjs")], {
      cwd: tmpdir(), // neither the bundle's folder nor the project's
      env: userEnv({ CROSSRANK_MODELS_DIR: FIXTURES_DIR, CROSSRANK_OFFLINE: "1" }),
      timeout: 120_000,
    });
    const results = JSON.parse(stdout.trim().split("\n").at(-1)!) as { index: number; score: number }[];
    const reranker = await createReranker({ provider: "local", modelPath: TINY.bert });
    const expected = await reranker.rerank(QUERY, DOCUMENTS);
    await reranker.close?.();
    expect(results.map((r) => r.index)).toEqual(expected.map((r) => r.index));
    results.forEach((r, i) => expect(r.score).toBeCloseTo(expected[i]!.score, 5));
  });

  it("says what to copy when onnxruntime-node is missing beside the bundle", async () => {
    const bare = await mkdtemp(join(tmpdir(), "crossrank-bare-"));
    await cp(join(project, "dist"), join(bare, "dist"), { recursive: true });
    const failure = (await exec(process.execPath, [join(bare, "dist/app.mjs")], {
      cwd: bare,
      env: userEnv({ CROSSRANK_MODELS_DIR: FIXTURES_DIR, CROSSRANK_OFFLINE: "1" }),
      timeout: 120_000,
    }).catch((e) => e)) as { code: number; stderr: string };
    expect(failure.code).not.toBe(0);
    expect(failure.stderr).toMatch(/PROVIDER_NOT_INSTALLED|onnxruntime-node was not found/);
    expect(failure.stderr).toMatch(/node_modules\/onnxruntime-node and node_modules\/onnxruntime-common/);
  });

  it("a provider the bundle does not contain is reported as left out of the bundle, with the import that fixes it", async () => {
    const failure = (await exec(process.execPath, [join(deployed, "dist/app.mjs")], {
      cwd: deployed,
      env: userEnv({ CROSSRANK_PROVIDER: "cohere:rerank-v3.5", COHERE_API_KEY: "test-key" }),
      timeout: 60_000,
    }).catch((e) => e)) as { code: number; stderr: string };
    expect(failure.code).not.toBe(0);
    expect(failure.stderr).toMatch(/@crossrank\/cohere is not in this bundle/);
    expect(failure.stderr).toMatch(/import "@crossrank\/cohere"/);
    expect(failure.stderr).not.toContain("test-key");
  });
});
