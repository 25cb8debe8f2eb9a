import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createReranker } from "@crossrank/core";
import { hubSettings, listModels, pullModel, resolveModel, snapshotDir, lookupModel, verifyModel, type HubSettings } from "@crossrank/hub";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TINY } from "./setup/fixture-paths.js";
import { FakeHub } from "./support/fake-hub.js";
import { failure } from "./support/failure.js";

const run = promisify(execFile);
const FAST = { retries: 3, minTimeout: 5, maxTimeout: 20 };
const MODEL = "ms-marco-MiniLM-L-6-v2";
const REPO = "Xenova/ms-marco-MiniLM-L-6-v2";
const COMMIT = lookupModel(MODEL)!.revision;
const TOKEN = "hf_secretTOKEN_do_not_print_123";

let hub: FakeHub;
let cacheRoot: string;
let settings: HubSettings;


/** Every file below dir, relative, including temporaries a broken download could leave. */
async function tree(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

beforeAll(async () => {
  hub = await new FakeHub().start();
  await hub.addRepo(REPO, TINY.bert, { commit: COMMIT });
  await hub.addRepo("someone/private-reranker", TINY.bert, { gatedToken: TOKEN });
  await hub.addRepo("someone/no-special-tokens", TINY.xlmr, { omit: ["special_tokens_map.json"] });
  // Served with fixture bytes, so the registry's pinned sha256 for the real file cannot match.
  await hub.addRepo("Xenova/ms-marco-MiniLM-L-12-v2", TINY.bert, { commit: lookupModel("ms-marco-MiniLM-L-12-v2")!.revision });
});
afterAll(async () => hub.stop());

beforeEach(async () => {
  cacheRoot = await mkdtemp(join(tmpdir(), "crossrank-cache-"));
  settings = hubSettings({ HF_ENDPOINT: hub.endpoint, CROSSRANK_CACHE_DIR: cacheRoot });
  hub.requests.length = 0;
});
afterEach(async () => rm(cacheRoot, { recursive: true, force: true }));

describe("pull from the hub", () => {
  it("fetches, verifies and caches every file, following the storage redirect", async () => {
    const pulled = await pullModel(MODEL, { settings, retry: FAST });
    expect(pulled.dir).toBe(join(cacheRoot, "models", "Xenova--ms-marco-MiniLM-L-6-v2", COMMIT));
    expect(pulled.downloaded.sort()).toEqual(["config.json", "onnx/model.onnx", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"]);
    for (const f of pulled.files) {
      const original = await readFile(join(TINY.bert, f.path));
      expect(await readFile(join(pulled.dir, f.path))).toEqual(original);
      expect(f.commit).toBe(COMMIT);
    }
    // The LFS file came from the storage host after a 302; the JSON files straight from the hub.
    expect(hub.requestsFor("onnx/model.onnx", "storage")).toHaveLength(1);
    expect(hub.requestsFor("config.json", "storage")).toHaveLength(0);
    expect(hub.requests.every((r) => r.host === "storage" || r.url.includes(`/resolve/${COMMIT}/`))).toBe(true);
    // A second pull finds everything cached and makes no request.
    hub.requests.length = 0;
    const again = await pullModel(MODEL, { settings, retry: FAST });
    expect(again.downloaded).toEqual([]);
    expect(hub.requests).toHaveLength(0);
  });

  it("reports progress per file", async () => {
    const events: { file: string; downloaded: number; total: number | undefined }[] = [];
    await pullModel(MODEL, { settings, retry: FAST, onProgress: (e) => events.push(e) });
    const onnx = events.filter((e) => e.file === "onnx/model.onnx");
    expect(onnx.length).toBeGreaterThan(0);
    expect(onnx.at(-1)!.downloaded).toBe(onnx.at(-1)!.total);
  });

  it("then reranks offline from the cache", async () => {
    await pullModel(MODEL, { settings, dtype: "q8", retry: FAST });
    const saved = { ...process.env };
    Object.assign(process.env, { CROSSRANK_CACHE_DIR: cacheRoot, CROSSRANK_OFFLINE: "1", HF_ENDPOINT: hub.endpoint });
    try {
      hub.requests.length = 0;
      const reranker = await createReranker({ provider: "local", model: MODEL, dtype: "q8" });
      expect(reranker.model).toBe(MODEL);
      expect(await reranker.rerank("whale", ["whale ocean", "bread"])).toHaveLength(2);
      await reranker.close!();
      expect(hub.requests).toHaveLength(0);
    } finally {
      process.env = saved;
    }
  });

  it("downloads on first use when online, then needs no network", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { CROSSRANK_CACHE_DIR: cacheRoot, CROSSRANK_OFFLINE: "", HF_ENDPOINT: hub.endpoint });
    try {
      const first = await createReranker(`local:${MODEL}`);
      await first.close!();
      expect(hub.requests.length).toBeGreaterThan(0);
      hub.requests.length = 0;
      const second = await createReranker(`local:${MODEL}`);
      expect(await second.rerank("whale", ["whale"])).toHaveLength(1);
      await second.close!();
      expect(hub.requests).toHaveLength(0);
    } finally {
      process.env = saved;
    }
  });

  it("pulls into a models folder that CROSSRANK_MODELS_DIR then serves", async () => {
    const modelsDir = join(cacheRoot, "shipped");
    await pullModel(MODEL, { settings, dir: modelsDir, retry: FAST });
    const offline = hubSettings({ CROSSRANK_MODELS_DIR: modelsDir, CROSSRANK_OFFLINE: "1", CROSSRANK_CACHE_DIR: join(cacheRoot, "empty") });
    expect(await resolveModel(MODEL, { settings: offline })).toEqual({ dir: join(modelsDir, MODEL), name: MODEL, source: "models-dir" });
  });

  it("skips optional files a repository does not have", async () => {
    const pulled = await pullModel("someone/no-special-tokens", { settings, retry: FAST });
    expect(pulled.downloaded).not.toContain("special_tokens_map.json");
    expect(pulled.downloaded).toContain("onnx/model.onnx");
  });
});

describe("verification: nothing unverified is ever cached", () => {
  it("rejects a file whose bytes do not match the published sha256, without retrying or caching", async () => {
    hub.fail("onnx/model.onnx", { corrupt: true });
    const e = await failure(pullModel(MODEL, { settings, retry: FAST }));
    expect(e.code).toBe("CHECKSUM_MISMATCH");
    expect(e.message).toContain("onnx/model.onnx");
    expect(hub.requestsFor("onnx/model.onnx", "storage")).toHaveLength(1);
    const files = await tree(snapshotDir(settings.cacheDir, lookupModel(MODEL)!));
    expect(files).not.toContain("onnx/model.onnx");
    expect(files.filter((f) => f.endsWith(".part"))).toEqual([]);
  });

  it("rejects a file that does not match the registry's pinned sha256", async () => {
    const e = await failure(pullModel("ms-marco-MiniLM-L-12-v2", { settings, dtype: "q8", retry: FAST }));
    expect(e.code).toBe("CHECKSUM_MISMATCH");
    expect(e.message).toContain("c5551b3e446396364913c5ad79e9c8411a76d26523b7d87232052ae6c0d0c7fd");
  });

  it("retries a body cut off mid-way and caches only the complete file", async () => {
    hub.fail("onnx/model.onnx", { truncateAt: 1000 }, { truncateAt: 50_000 });
    const pulled = await pullModel(MODEL, { settings, retry: FAST });
    expect(hub.requestsFor("onnx/model.onnx", "storage")).toHaveLength(3);
    expect(await readFile(join(pulled.dir, "onnx/model.onnx"))).toEqual(await readFile(join(TINY.bert, "onnx/model.onnx")));
    expect((await tree(pulled.dir)).filter((f) => f.endsWith(".part"))).toEqual([]);
  });

  it("gives up after its retries and leaves no half-written file", async () => {
    hub.fail("onnx/model.onnx", ...Array.from({ length: 4 }, () => ({ truncateAt: 100 })));
    const e = await failure(pullModel(MODEL, { settings, retry: FAST }));
    expect(e.code).toBe("DOWNLOAD_FAILED");
    expect(e.message).toMatch(/interrupted/);
    expect(hub.requestsFor("onnx/model.onnx", "storage")).toHaveLength(4);
    const files = await tree(snapshotDir(settings.cacheDir, lookupModel(MODEL)!));
    expect(files.some((f) => f.startsWith("onnx/"))).toBe(false);
  });

  it("re-checks cached files with verifyModel", async () => {
    const pulled = await pullModel(MODEL, { settings, retry: FAST });
    expect((await verifyModel(MODEL, { settings })).files.every((f) => f.status === "ok")).toBe(true);
    const onnx = join(pulled.dir, "onnx/model.onnx");
    const bytes = await readFile(onnx);
    bytes[100] = (bytes[100]! + 1) % 256;
    await writeFile(onnx, bytes);
    const report = await verifyModel(MODEL, { settings });
    expect(report.files.find((f) => f.path === "onnx/model.onnx")!.status).toBe("mismatch");
    expect(report.files.find((f) => f.path === "config.json")!.status).toBe("ok");
  });
});

describe("retries and errors", () => {
  it("retries 500 and 503 and succeeds", async () => {
    hub.fail("config.json", { status: 500 }, { status: 503 });
    await pullModel(MODEL, { settings, retry: FAST });
    expect(hub.requestsFor("config.json", "hub")).toHaveLength(3);
  });

  it("waits as long as a 429's Retry-After asks", async () => {
    hub.fail("config.json", { status: 429, retryAfter: "1" });
    await pullModel(MODEL, { settings, retry: FAST });
    const [first, second] = hub.requestsFor("config.json", "hub");
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  it("does not retry a missing file, and names it", async () => {
    const e = await failure(pullModel("someone/does-not-exist", { settings, retry: FAST }));
    expect(e.code).toBe("DOWNLOAD_FAILED");
    expect(e.message).toMatch(/HTTP 404 .*someone\/does-not-exist@main: config\.json/);
    expect(hub.requests).toHaveLength(1);
  });

  it("explains a gated repository, and sends HF_TOKEN to the hub only, never to storage or into errors", async () => {
    const e = await failure(pullModel("someone/private-reranker", { settings, retry: FAST }));
    expect(e.message).toMatch(/HTTP 401.*Set HF_TOKEN/);
    const withToken = hubSettings({ HF_ENDPOINT: hub.endpoint, CROSSRANK_CACHE_DIR: cacheRoot, HF_TOKEN: TOKEN });
    hub.requests.length = 0;
    await pullModel("someone/private-reranker", { settings: withToken, retry: FAST });
    expect(hub.requests.filter((r) => r.host === "hub").every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(hub.requests.filter((r) => r.host === "storage").length).toBeGreaterThan(0);
    expect(hub.requests.filter((r) => r.host === "storage").every((r) => r.authorization === undefined)).toBe(true);
    // A failure with the token set does not show it.
    hub.fail("config.json", ...Array.from({ length: 4 }, () => ({ status: 500 })));
    const e2 = await failure(pullModel("someone/no-special-tokens", { settings: withToken, retry: FAST }));
    expect(JSON.stringify({ message: e2.message, stack: e2.stack, cause: String(e2.cause) })).not.toContain(TOKEN);
  });

  it("stops a download when aborted and keeps nothing", async () => {
    hub.fail("onnx/model.onnx", { delayMs: 2000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const e = await failure(pullModel(MODEL, { settings, retry: FAST, signal: controller.signal }));
    expect(e.code).toBe("ABORTED");
    expect((await tree(snapshotDir(settings.cacheDir, lookupModel(MODEL)!))).some((f) => f.startsWith("onnx/"))).toBe(false);
  });
});

describe("offline", () => {
  it("with nothing cached: names the model, every place looked, and the pull command", async () => {
    const offline = hubSettings({ CROSSRANK_OFFLINE: "1", CROSSRANK_CACHE_DIR: cacheRoot, CROSSRANK_MODELS_DIR: join(cacheRoot, "models-dir") });
    const e = await failure(resolveModel(MODEL, { settings: offline, dtype: "q8" }));
    expect(e.code).toBe("MODEL_NOT_FOUND");
    expect(e.message).toContain(`"${MODEL}"`);
    expect(e.message).toContain(join(cacheRoot, "models-dir", MODEL));
    expect(e.message).toContain(snapshotDir(offline.cacheDir, lookupModel(MODEL)!));
    expect(e.message).toContain(`npx @crossrank/cli models pull ${MODEL} --dtype q8`);
    expect(hub.requests).toHaveLength(0);
  });

  it("HF_HUB_OFFLINE counts as offline too", () => {
    expect(hubSettings({ HF_HUB_OFFLINE: "1" }).offline).toBe(true);
    expect(hubSettings({}).offline).toBe(false);
  });
});

describe("listing", () => {
  it("lists the registry with what is cached and its size", async () => {
    await pullModel(MODEL, { settings, retry: FAST });
    const models = await listModels({ settings });
    const minilm = models.find((m) => m.name === MODEL)!;
    expect(minilm.cached.fp32).toBeGreaterThan(100_000);
    expect(minilm.cached.q8).toBeUndefined();
    expect(models.find((m) => m.name === "bge-reranker-base")!.cached).toEqual({});
  });
});

describe("processes", () => {
  const script = `
    import { hubSettings, pullModel } from "@crossrank/hub";
    const settings = hubSettings(process.env);
    const r = await pullModel("${MODEL}", { settings, retry: { retries: 3, minTimeout: 5, maxTimeout: 20 } });
    console.log(JSON.stringify(r.downloaded));
  `;

  it("two processes pulling the same model at once end with one good copy", async () => {
    hub.fail("onnx/model.onnx", { delayMs: 300 }, { delayMs: 300 });
    const env = { ...process.env, HF_ENDPOINT: hub.endpoint, CROSSRANK_CACHE_DIR: cacheRoot, CROSSRANK_OFFLINE: "" };
    const [a, b] = await Promise.all([
      run(process.execPath, ["--input-type=module", "-e", script], { env, cwd: process.cwd() }),
      run(process.execPath, ["--input-type=module", "-e", script], { env, cwd: process.cwd() }),
    ]);
    expect(JSON.parse(a.stdout)).toContain("onnx/model.onnx");
    expect(JSON.parse(b.stdout)).toContain("onnx/model.onnx");
    const dir = snapshotDir(settings.cacheDir, lookupModel(MODEL)!);
    expect((await tree(dir)).filter((f) => f.endsWith(".part") || f.endsWith(".tmp"))).toEqual([]);
    expect((await verifyModel(MODEL, { settings })).files.every((f) => f.status === "ok")).toBe(true);
  });

  it("importing the packages downloads nothing", async () => {
    const env = { ...process.env, HF_ENDPOINT: hub.endpoint, CROSSRANK_CACHE_DIR: cacheRoot, CROSSRANK_OFFLINE: "" };
    await run(process.execPath, ["--input-type=module", "-e", `await import("@crossrank/core"); await import("@crossrank/onnx"); await import("@crossrank/hub");`], { env });
    expect(hub.requests).toHaveLength(0);
  });
});
