import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createReranker } from "@crossrank/core";
import { lookupModel } from "@crossrank/hub";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TINY } from "./setup/fixture-paths.js";
import { FakeHub } from "./support/fake-hub.js";

const exec = promisify(execFile);
const BIN = fileURLToPath(new URL("../packages/cli/dist/bin.js", import.meta.url));
const MODEL = "ms-marco-MiniLM-L-6-v2";

let hub: FakeHub;
let cache: string;

async function crossrank(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      env: { ...process.env, HF_ENDPOINT: hub.endpoint, CROSSRANK_CACHE_DIR: cache, CROSSRANK_OFFLINE: "", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  hub = await new FakeHub().start();
  await hub.addRepo("Xenova/ms-marco-MiniLM-L-6-v2", TINY.bert, { commit: lookupModel(MODEL)!.revision });
});
afterAll(async () => hub.stop());
beforeEach(async () => {
  cache = await mkdtemp(join(tmpdir(), "crossrank-cli-"));
  return () => rm(cache, { recursive: true, force: true });
});

describe("crossrank --version", () => {
  it("prints the CLI package's version", async () => {
    const manifest = await readFile(new URL("../packages/cli/package.json", import.meta.url), "utf8");
    const { version } = JSON.parse(manifest) as { version: string };
    const result = await crossrank(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});

describe("crossrank models", () => {
  it("pull fetches, verifies and caches; the model then reranks with CROSSRANK_OFFLINE=1", async () => {
    const pulled = await crossrank(["models", "pull", MODEL]);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toMatch(/ms-marco-MiniLM-L-6-v2 \(fp32\): 5 files, [\d.]+ kB, 5 downloaded and verified/);
    // Not a terminal: no progress bar noise.
    expect(pulled.stderr).toBe("");

    const saved = { ...process.env };
    Object.assign(process.env, { CROSSRANK_CACHE_DIR: cache, CROSSRANK_OFFLINE: "1", HF_ENDPOINT: hub.endpoint });
    try {
      hub.requests.length = 0;
      const reranker = await createReranker(`local:${MODEL}`);
      const results = await reranker.rerank("whale", ["whale ocean", "bread", "sea"]);
      await reranker.close!();
      expect(results.map((r) => r.index).sort()).toEqual([0, 1, 2]);
      expect(hub.requests).toHaveLength(0);
    } finally {
      process.env = saved;
    }

    const again = await crossrank(["models", "pull", MODEL]);
    expect(again.stdout).toMatch(/all already cached/);
  });

  it("list shows the registry and what is cached", async () => {
    await crossrank(["models", "pull", MODEL, "--dtype", "q8"]);
    const listed = await crossrank(["models", "list"]);
    expect(listed.code).toBe(0);
    const line = listed.stdout.split("\n").find((l) => l.startsWith(`${MODEL} `))!;
    expect(line).toMatch(/bert\s+apache-2\.0\s+~91\.0 MB\s+cached [\d.]+ kB/);
    expect(listed.stdout).toMatch(/bge-reranker-v2-m3 .*\(unpinned\)/);
    const json = JSON.parse((await crossrank(["models", "list", "--json"])).stdout);
    expect(json).toHaveLength(10);
  });

  it("verify re-checks checksums and fails on a tampered file", async () => {
    await crossrank(["models", "pull", MODEL]);
    const ok = await crossrank(["models", "verify"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok +ms-marco-MiniLM-L-6-v2 \(fp32\) onnx\/model\.onnx$/m);
    const file = join(cache, "models", "Xenova--ms-marco-MiniLM-L-6-v2", lookupModel(MODEL)!.revision, "onnx/model.onnx");
    const bytes = await readFile(file);
    bytes[10] = (bytes[10]! + 1) % 256;
    await writeFile(file, bytes);
    const bad = await crossrank(["models", "verify", MODEL]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^mismatch +ms-marco-MiniLM-L-6-v2 \(fp32\) onnx\/model\.onnx: sha256/m);
    expect(bad.stderr).toMatch(/1 file\(s\) failed verification/);
  });

  it("pull --dir writes a folder CROSSRANK_MODELS_DIR can serve, and verify --dir checks it", async () => {
    const dir = join(cache, "ship");
    expect((await crossrank(["models", "pull", MODEL, "--dtype", "q8", "--dir", dir])).code).toBe(0);
    const verified = await crossrank(["models", "verify", MODEL, "--dtype", "q8", "--dir", dir]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain("onnx/model_quantized.onnx");
  });

  it("draws a progress bar on a terminal", async () => {
    // `script` gives the command a pseudo-terminal, as an interactive shell would.
    const command = [process.execPath, BIN, "models", "pull", MODEL].map((a) => `'${a}'`).join(" ");
    const { stdout } = await exec("script", ["-qec", command, "/dev/null"], {
      env: { ...process.env, HF_ENDPOINT: hub.endpoint, CROSSRANK_CACHE_DIR: cache, CROSSRANK_OFFLINE: "" },
    });
    expect(stdout).toMatch(/onnx\/model\.onnx \[[█░]+\] 100%/);
    expect(stdout).toMatch(/5 downloaded and verified/);
  });

  it("fails clearly on bad input and when offline", async () => {
    const dtype = await crossrank(["models", "pull", MODEL, "--dtype", "q4"]);
    expect(dtype.code).toBe(1);
    expect(dtype.stderr).toMatch(/expected "fp32" or "q8"/);
    const unknown = await crossrank(["models", "pull", "not-a-model"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^crossrank: unknown model "not-a-model"/);
    const offline = await crossrank(["models", "pull", MODEL], { CROSSRANK_OFFLINE: "1" });
    expect(offline.code).toBe(1);
    expect(offline.stderr).toMatch(/downloads are off/);
    const notCached = await crossrank(["models", "verify", MODEL]);
    expect(notCached.code).toBe(1);
    expect(notCached.stderr).toMatch(/is not cached/);
  });
});
