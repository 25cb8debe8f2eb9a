import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createReranker, localConfigSchema } from "@crossrank/core";
import {
  hubSettings,
  listModels,
  listWeightCopies,
  lookupModel,
  pruneWeightCopies,
  pullModel,
  REGISTRY,
  resolveModel,
  snapshotDir,
  verifyModel,
  type HubSettings,
} from "@crossrank/hub";
import { mapModelWeights } from "@crossrank/onnx";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TINY } from "./setup/fixture-paths.js";
import { FakeHub } from "./support/fake-hub.js";
import { failure } from "./support/failure.js";
import { within } from "./support/within.js";
// Not exported: how the provider finds a model folder, called here with the options createProvider would give it.
import { resolveModelDir } from "../packages/onnx/src/model-files.js";

const run = promisify(execFile);
const FAST = { retries: 3, minTimeout: 5, maxTimeout: 20 };
const MODEL = "ms-marco-MiniLM-L-6-v2";
const REPO = "Xenova/ms-marco-MiniLM-L-6-v2";
const COMMIT = lookupModel(MODEL)!.revision;
const TOKEN = "hf_secretTOKEN_do_not_print_123";
const PIN = "1234567890abcdef1234567890abcdef12345678";
const NO_RETRY = { retries: 0, minTimeout: 1, maxTimeout: 1 };
const CLI = join(process.cwd(), "packages/cli/dist/bin.js");

let hub: FakeHub;
let cacheRoot: string;
let settings: HubSettings;

/** Every file below dir, relative, including temporaries a broken download could leave. */
async function tree(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

beforeAll(async () => {
  hub = await new FakeHub().start();
  await hub.addRepo(REPO, TINY.bert, { commit: COMMIT });
  await hub.addRepo("someone/private-reranker", TINY.bert, { gatedToken: TOKEN });
  await hub.addRepo("someone/no-special-tokens", TINY.xlmr, { omit: ["special_tokens_map.json"] });
  // Served with fixture bytes, so the registry's pinned sha256 for the real file cannot match.
  await hub.addRepo("Xenova/ms-marco-MiniLM-L-12-v2", TINY.bert, {
    commit: lookupModel("ms-marco-MiniLM-L-12-v2")!.revision,
  });
  await hub.addRepo("someone/pinned", TINY.bert, { commit: PIN });
  await hub.addRepo("someone/any-revision", TINY.bert, { anyRevision: true });
  await hub.addRepo("someone/no-digest", TINY.bert, { noDigest: true });
  await hub.addRepo("someone/gzipped", TINY.bert, { gzip: true });
});

afterAll(async () => hub.stop());

beforeEach(async () => {
  cacheRoot = await mkdtemp(join(tmpdir(), "crossrank-cache-"));
  settings = hubSettings({ HF_ENDPOINT: hub.endpoint, CROSSRANK_CACHE_DIR: cacheRoot });
  hub.requests.length = 0;
  hub.clearFaults();
});
afterEach(async () => rm(cacheRoot, { recursive: true, force: true }));

describe("pull from the hub", () => {
  it("fetches, verifies and caches every file, following the storage redirect", async () => {
    const pulled = await pullModel(MODEL, { settings, retry: FAST });
    expect(pulled.dir).toBe(join(cacheRoot, "models", "Xenova--ms-marco-MiniLM-L-6-v2", COMMIT));
    expect(pulled.downloaded.sort()).toEqual([
      "config.json",
      "onnx/model.onnx",
      "special_tokens_map.json",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
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
    const offline = hubSettings({
      CROSSRANK_MODELS_DIR: modelsDir,
      CROSSRANK_OFFLINE: "1",
      CROSSRANK_CACHE_DIR: join(cacheRoot, "empty"),
    });
    expect(await resolveModel(MODEL, { settings: offline })).toEqual({
      dir: join(modelsDir, MODEL),
      name: MODEL,
      source: "models-dir",
    });
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
    expect(await readFile(join(pulled.dir, "onnx/model.onnx"))).toEqual(
      await readFile(join(TINY.bert, "onnx/model.onnx")),
    );
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
    expect((await tree(snapshotDir(settings.cacheDir, lookupModel(MODEL)!))).some((f) => f.startsWith("onnx/"))).toBe(
      false,
    );
  });
});

describe("offline", () => {
  it("with nothing cached: names the model, every place looked, and the pull command", async () => {
    const offline = hubSettings({
      CROSSRANK_OFFLINE: "1",
      CROSSRANK_CACHE_DIR: cacheRoot,
      CROSSRANK_MODELS_DIR: join(cacheRoot, "models-dir"),
    });
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

describe("model names", () => {
  const flipCase = (name: string) =>
    fc
      .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
      .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(""));

  it("finds a registry name whatever its case, and a hub id only as spelled", () => {
    expect(lookupModel("MS-MARCO-MiniLM-L-6-v2")?.name).toBe(MODEL);
    expect(lookupModel("ms-marco-minilm-l-6-v2@main")).toMatchObject({ name: MODEL, revision: "main" });
    fc.assert(
      fc.property(
        fc.constantFrom(...REGISTRY.map((m) => m.name)).chain((name) => flipCase(name).map((typed) => [name, typed])),
        ([name, typed]) => {
          expect(lookupModel(typed!)?.name).toBe(name);
        },
      ),
      { numRuns: 200 },
    );
    // The hub compares ids exactly: a miscased id is another repository, not the registry's.
    expect(lookupModel("xenova/ms-marco-MiniLM-L-6-v2")).toMatchObject({
      repo: "xenova/ms-marco-MiniLM-L-6-v2",
      entry: undefined,
    });
    expect(lookupModel("cross-encoder/MS-MARCO-MiniLM-L-6-v2")?.entry).toBeUndefined();
  });

  it("createReranker takes local:<name> in any case and reports the registry's name", async () => {
    await pullModel(MODEL, { settings, retry: FAST });
    const saved = { ...process.env };
    Object.assign(process.env, { CROSSRANK_CACHE_DIR: cacheRoot, CROSSRANK_OFFLINE: "1", HF_ENDPOINT: hub.endpoint });
    hub.requests.length = 0;
    try {
      const reranker = await createReranker("local:MS-MARCO-MiniLM-L-6-v2");
      expect(reranker.model).toBe(MODEL);
      expect(await reranker.rerank("whale", ["a whale", "a cat"])).toHaveLength(2);
      await reranker.close!();
      expect(hub.requests).toHaveLength(0);
    } finally {
      process.env = saved;
    }
  });

  it("an unknown plain name fails MODEL_NOT_FOUND with the nearest registry name, asking the hub nothing", async () => {
    const cases: [string, string | undefined][] = [
      ["ms-marco-MiniLM-L6-v2", "ms-marco-MiniLM-L-6-v2"],
      ["BGE-reranker-bsae", "bge-reranker-base"],
      ["ms-marco-minilm-l6-v2@main", "ms-marco-MiniLM-L-6-v2@main"],
      ["totally-unrelated-thing", undefined],
    ];
    for (const [name, suggestion] of cases) {
      for (const attempt of [pullModel(name, { settings }), resolveModel(name, { settings }), verifyModel(name)]) {
        const e = await failure(attempt);
        expect(e.code).toBe("MODEL_NOT_FOUND");
        expect(e.message).toContain(`unknown model ${JSON.stringify(name)}`);
        if (suggestion) expect(e.message).toContain(`did you mean ${JSON.stringify(suggestion)}?`);
        else expect(e.message).not.toContain("did you mean");
      }
    }
    expect(hub.requests).toHaveLength(0);
    const env = { ...process.env, CROSSRANK_CACHE_DIR: cacheRoot, CROSSRANK_OFFLINE: "1" };
    for (const command of ["pull", "verify"]) {
      const args = [CLI, "models", command, "ms-marco-MiniLM-L6-v2"];
      const e = await run(process.execPath, args, { env }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(e?.code).toBe(1);
      expect(e?.stderr).toMatch(
        /^crossrank: unknown model "ms-marco-MiniLM-L6-v2": did you mean "ms-marco-MiniLM-L-6-v2"\?/,
      );
    }
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
    await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `await import("@crossrank/core"); await import("@crossrank/onnx"); await import("@crossrank/hub");`,
      ],
      { env },
    );
    expect(hub.requests).toHaveLength(0);
  });
});

describe("names that could leave the cache", () => {
  it("refuses a revision that climbs out of the cache, before any request, creating nothing", async () => {
    // This hub answers any revision, so only the name check stands between it and a write outside the cache.
    const e = await failure(pullModel("someone/any-revision@../../escape", { settings, retry: NO_RETRY }));
    expect(e.code).toBe("INVALID_CONFIG");
    expect(e.message).toContain("revision");
    expect(existsSync(join(cacheRoot, "escape"))).toBe(false);
    expect(await tree(cacheRoot)).toEqual([]);
    expect(hub.requests).toHaveLength(0);
  });

  it("refuses the same revision in --dir pulls and in resolveModel", async () => {
    const dir = join(cacheRoot, "shipped");
    expect((await failure(pullModel("someone/any-revision@a/../../..", { settings, dir, retry: NO_RETRY }))).code).toBe(
      "INVALID_CONFIG",
    );
    expect((await failure(resolveModel("someone/any-revision@..", { settings, retry: NO_RETRY }))).code).toBe(
      "INVALID_CONFIG",
    );
    expect(await tree(cacheRoot)).toEqual([]);
  });

  it("does not load a model folder outside the cache through a revision", async () => {
    // A complete, recorded model folder outside the cache that a "../" revision would land on.
    const elsewhere = hubSettings({ HF_ENDPOINT: hub.endpoint, CROSSRANK_CACHE_DIR: join(cacheRoot, "other") });
    const pulled = await pullModel("someone/pinned", { settings: elsewhere, retry: FAST });
    await cp(pulled.dir, join(cacheRoot, "outside"), { recursive: true });
    const offline = hubSettings({ CROSSRANK_CACHE_DIR: cacheRoot, CROSSRANK_OFFLINE: "1" });
    const e = await failure(resolveModel("someone/pinned@../../outside", { settings: offline }));
    expect(e.code).toBe("INVALID_CONFIG");
  });

  it("gives a typed error naming the field for a NUL byte, not a raw TypeError", async () => {
    for (const name of ["someone/pinned@main\0x", "some\0one/pinned", "ms-marco\0"]) {
      const e = await failure(pullModel(name, { settings, retry: NO_RETRY }));
      expect(e.code).toBe("INVALID_CONFIG");
      expect(e.message).toMatch(/(revision|model) .*\\u0000.* control character/);
    }
    const dir = await failure(pullModel(MODEL, { settings, dir: "/tmp/a\0b", retry: NO_RETRY }));
    expect(dir.code).toBe("INVALID_CONFIG");
    expect(dir.message).toContain("--dir");
    expect(hub.requests).toHaveLength(0);
  });

  it("downloads the revision pinned as org/name@rev, in resolveModel as in pullModel", async () => {
    const resolved = await resolveModel(`someone/pinned@${PIN}`, { settings, retry: FAST });
    expect(resolved.source).toBe("download");
    expect(resolved.dir.endsWith(join("someone--pinned", PIN))).toBe(true);
    expect(hub.requests.filter((r) => r.host === "hub").every((r) => r.url.includes(`/resolve/${PIN}/`))).toBe(true);
    const records = await tree(join(resolved.dir, ".crossrank"));
    expect(records.length).toBeGreaterThan(0);
    for (const r of records)
      expect(JSON.parse(await readFile(join(resolved.dir, ".crossrank", r), "utf8")).revision).toBe(PIN);
  });

  it("never writes through a symbolic link planted in the cache", async () => {
    const outside = join(cacheRoot, "outside");
    await mkdir(outside);
    await mkdir(join(settings.cacheDir, "someone--pinned"), { recursive: true });
    await symlink(outside, join(settings.cacheDir, "someone--pinned", "main"));
    const e = await failure(pullModel("someone/pinned", { settings, retry: FAST }));
    expect(e.code).toBe("DOWNLOAD_FAILED");
    expect(e.message).toMatch(/symbolic link/);
    expect(await tree(outside)).toEqual([]);
  });

  it("does not take a model folder planted as a link for a cached model", async () => {
    const elsewhere = hubSettings({ HF_ENDPOINT: hub.endpoint, CROSSRANK_CACHE_DIR: join(cacheRoot, "other") });
    const pulled = await pullModel("someone/pinned", { settings: elsewhere, retry: FAST });
    await mkdir(join(settings.cacheDir, "someone--pinned"), { recursive: true });
    await symlink(pulled.dir, join(settings.cacheDir, "someone--pinned", "main"));
    const offline = hubSettings({ CROSSRANK_CACHE_DIR: cacheRoot, CROSSRANK_OFFLINE: "1" });
    const e = await failure(resolveModel("someone/pinned", { settings: offline }));
    expect(e.code).toBe("MODEL_NOT_FOUND");
  });

  it("refuses a model name that climbs out of CROSSRANK_MODELS_DIR", async () => {
    const modelsDir = join(cacheRoot, "shipped");
    await pullModel(MODEL, { settings, dir: join(cacheRoot, "beside"), retry: FAST });
    await mkdir(modelsDir);
    const offline = hubSettings({
      CROSSRANK_MODELS_DIR: modelsDir,
      CROSSRANK_OFFLINE: "1",
      CROSSRANK_CACHE_DIR: join(cacheRoot, "empty"),
    });
    // ../beside/<model> is a complete model folder, outside the models folder.
    const e = await failure(resolveModel(`../beside/${MODEL}`, { settings: offline }));
    expect(e.code).toBe("INVALID_CONFIG");
    expect(e.message).toContain('model "../beside/');
    expect(
      await resolveModel(MODEL, {
        settings: hubSettings({ CROSSRANK_MODELS_DIR: join(cacheRoot, "beside"), CROSSRANK_OFFLINE: "1" }),
      }),
    ).toMatchObject({
      source: "models-dir",
    });
  });
});

describe("nothing before an answer", () => {
  it("creates no folder when the hub answers 404", async () => {
    const e = await failure(pullModel("someone/does-not-exist", { settings, retry: FAST }));
    expect(e.message).toMatch(/HTTP 404/);
    expect(existsSync(settings.cacheDir)).toBe(false);
    const dir = join(cacheRoot, "shipped");
    await failure(pullModel("someone/does-not-exist", { settings, dir, retry: FAST }));
    expect(existsSync(dir)).toBe(false);
  });
});

describe("hosts that go quiet", () => {
  it("ends a hub that never answers after the timeout, naming the host and the limit but not the token", async () => {
    hub.fail("config.json", { at: "hub", hang: true });
    const withToken = hubSettings({ HF_ENDPOINT: hub.endpoint, CROSSRANK_CACHE_DIR: cacheRoot, HF_TOKEN: TOKEN });
    const started = Date.now();
    const e = await within(5000, failure(pullModel(MODEL, { settings: withToken, retry: NO_RETRY, timeoutMs: 300 })));
    expect(Date.now() - started).toBeLessThan(4000);
    expect(e.code).toBe("DOWNLOAD_FAILED");
    expect(e.message).toContain(new URL(hub.endpoint).host);
    expect(e.message).toContain("300 ms");
    expect(JSON.stringify({ message: e.message, stack: e.stack, cause: String(e.cause) })).not.toContain(TOKEN);
    // Nothing was created before the hub answered.
    expect(await tree(cacheRoot)).toEqual([]);
  });

  it("ends a storage host that stops mid-body, and keeps no partial file", async () => {
    hub.fail("onnx/model.onnx", { stallAfter: 2000 });
    const e = await within(5000, failure(pullModel(MODEL, { settings, retry: NO_RETRY, timeoutMs: 300 })));
    expect(e.code).toBe("DOWNLOAD_FAILED");
    expect(e.message).toContain(new URL(hub.storageOrigin).host);
    expect(e.message).toMatch(/sent nothing for 300 ms.*after 2000 bytes/);
    const files = await tree(snapshotDir(settings.cacheDir, lookupModel(MODEL)!));
    expect(files.filter((f) => f.startsWith("onnx/"))).toEqual([]);
  });

  it("takes the limit from CROSSRANK_HUB_TIMEOUT_MS, and refuses a bad value", async () => {
    hub.fail("config.json", { at: "hub", hang: true });
    const quick = hubSettings({
      HF_ENDPOINT: hub.endpoint,
      CROSSRANK_CACHE_DIR: cacheRoot,
      CROSSRANK_HUB_TIMEOUT_MS: "250",
    });
    expect(quick.timeoutMs).toBe(250);
    expect(hubSettings({}).timeoutMs).toBe(30_000);
    const e = await within(5000, failure(resolveModel(MODEL, { settings: quick, retry: NO_RETRY })));
    expect(e.code).toBe("DOWNLOAD_FAILED");
    expect(e.message).toContain("250 ms");
    for (const bad of ["0", "-5", "soon", "1.5"]) {
      expect(() => hubSettings({ CROSSRANK_HUB_TIMEOUT_MS: bad })).toThrow(/CROSSRANK_HUB_TIMEOUT_MS/);
    }
  });
});

describe("first use of an uncached model", () => {
  it("createReranker ends a quiet hub's attempt at CROSSRANK_HUB_TIMEOUT_MS and retries it", async () => {
    hub.fail("config.json", { at: "hub", hang: true });
    const saved = { ...process.env };
    Object.assign(process.env, {
      CROSSRANK_CACHE_DIR: cacheRoot,
      CROSSRANK_OFFLINE: "",
      HF_ENDPOINT: hub.endpoint,
      CROSSRANK_HUB_TIMEOUT_MS: "300",
    });
    try {
      // Without the limit the first attempt would wait as long as the server holds the connection (30 s here).
      const reranker = await within(10_000, createReranker(`local:${MODEL}`));
      await reranker.close!();
      const [first, second] = hub.requestsFor("config.json", "hub");
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(300);
    } finally {
      process.env = saved;
    }
  });
});

describe("model resolution for the local provider", () => {
  const config = localConfigSchema.parse({ provider: "local", model: MODEL });
  const online = () => ({
    HF_ENDPOINT: hub.endpoint,
    CROSSRANK_CACHE_DIR: cacheRoot,
    CROSSRANK_OFFLINE: "",
    CROSSRANK_HUB_TIMEOUT_MS: "20000",
  });

  it("an abort ends the download of an uncached model at once, keeping nothing", async () => {
    hub.fail("config.json", { at: "hub", hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    // Unheard, the abort would leave the call waiting for the hub's 20 s silence limit.
    const e = await within(5000, failure(resolveModelDir(config, online(), { signal: controller.signal })));
    expect(e.code).toBe("ABORTED");
    expect(Date.now() - started).toBeLessThan(4000);
    expect(await tree(cacheRoot)).toEqual([]);
    const before = await failure(resolveModelDir(config, online(), { signal: AbortSignal.abort() }));
    expect(before.code).toBe("ABORTED");
    expect(hub.requestsFor("config.json", "hub")).toHaveLength(1);
  });

  it("takes the hub's silence limit it is given over CROSSRANK_HUB_TIMEOUT_MS", async () => {
    hub.fail("config.json", { at: "hub", hang: true });
    const { dir, name } = await within(10_000, resolveModelDir(config, online(), { hubTimeoutMs: 300 }));
    expect({ dir, name }).toEqual({ dir: snapshotDir(settings.cacheDir, lookupModel(MODEL)!), name: MODEL });
    const [first, second] = hub.requestsFor("config.json", "hub");
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(300);
    expect(second!.at - first!.at).toBeLessThan(10_000);
  });
});

describe("files nothing published a digest for", () => {
  it("are cached but reported unverified, not ok", async () => {
    const pulled = await pullModel("someone/no-digest", { settings, retry: FAST });
    expect(pulled.files.every((f) => f.verifiedBy === null)).toBe(true);
    const report = await verifyModel("someone/no-digest", { settings });
    expect(report.files.map((f) => f.status)).toEqual(report.files.map(() => "unverified"));
    // Files the hub did publish a digest for stay ok.
    await pullModel(MODEL, { settings, retry: FAST });
    expect((await verifyModel(MODEL, { settings })).files.every((f) => f.status === "ok")).toBe(true);
  });

  it("are refused in strict mode, by option or CROSSRANK_REQUIRE_DIGEST, and nothing is cached", async () => {
    const e = await failure(pullModel("someone/no-digest", { settings, retry: FAST, requireDigest: true }));
    expect(e.code).toBe("DOWNLOAD_FAILED");
    expect(e.message).toMatch(/published no sha256 or git blob id.*CROSSRANK_REQUIRE_DIGEST/);
    const strict = hubSettings({
      HF_ENDPOINT: hub.endpoint,
      CROSSRANK_CACHE_DIR: cacheRoot,
      CROSSRANK_REQUIRE_DIGEST: "1",
    });
    expect((await failure(pullModel("someone/no-digest", { settings: strict, retry: FAST }))).code).toBe(
      "DOWNLOAD_FAILED",
    );
    expect(await tree(cacheRoot)).toEqual([]);
    // A strict pull does not take an earlier unverified download as cached.
    await pullModel("someone/no-digest", { settings, retry: FAST });
    expect((await failure(resolveModel("someone/no-digest", { settings: strict, retry: FAST }))).code).toBe(
      "DOWNLOAD_FAILED",
    );
    // Verified files pass strict mode.
    await pullModel(MODEL, { settings: strict, retry: FAST });
  });
});

describe("compressed answers", () => {
  it("takes a gzipping mirror's files, checking the decoded bytes against the declared size and digest", async () => {
    const pulled = await pullModel("someone/gzipped", { settings, retry: FAST });
    for (const f of pulled.files)
      expect(await readFile(join(pulled.dir, f.path))).toEqual(await readFile(join(TINY.bert, f.path)));
    expect(pulled.files.every((f) => f.verifiedBy !== null)).toBe(true);
    expect((await verifyModel("someone/gzipped", { settings })).files.every((f) => f.status === "ok")).toBe(true);
  });
});

describe("temporary files of killed downloads", () => {
  const script = (name: string) => `
    import { hubSettings, pullModel } from "@crossrank/hub";
    const retry = { retries: 0, minTimeout: 1, maxTimeout: 1 };
    await pullModel(${JSON.stringify(name)}, { settings: hubSettings(process.env), retry });
  `;

  it("are removed by the next pull once their process is gone; a live process's are kept", async () => {
    hub.fail("onnx/model.onnx", { stallAfter: 3000 });
    const env = { ...process.env, HF_ENDPOINT: hub.endpoint, CROSSRANK_CACHE_DIR: cacheRoot, CROSSRANK_OFFLINE: "" };
    const child = spawn(process.execPath, ["--input-type=module", "-e", script(MODEL)], { env, stdio: "ignore" });
    const dir = snapshotDir(settings.cacheDir, lookupModel(MODEL)!);
    const parts = async () => (await tree(dir)).filter((f) => f.endsWith(".part"));
    const deadline = Date.now() + 15_000;
    // The small files come first; wait until the model's own download is under way.
    while (!(await parts()).some((f) => f.startsWith("onnx/")) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    const left = await parts();
    expect(left).toHaveLength(1);
    // Two minutes pass without a write; and a download of a live process, as old, sits beside it.
    const old = new Date(Date.now() - 120_000);
    await utimes(join(dir, left[0]!), old, old);
    const live = join(dir, `onnx/model.onnx.${process.ppid}.0123abcd.part`);
    await writeFile(live, "in progress");
    await utimes(live, old, old);
    const ancient = join(dir, `config.json.${process.ppid}.4567abcd.part`);
    await writeFile(ancient, "left for a day");
    const dayAgo = new Date(Date.now() - 24 * 3600_000);
    await utimes(ancient, dayAgo, dayAgo);

    await pullModel(MODEL, { settings, retry: FAST });
    expect(await parts()).toEqual([`onnx/model.onnx.${process.ppid}.0123abcd.part`]);
  });
});

describe("models folder and mapped weights", () => {
  it("listModels says which models CROSSRANK_MODELS_DIR holds", async () => {
    const modelsDir = join(cacheRoot, "shipped");
    await pullModel(MODEL, { settings, dir: modelsDir, dtype: "q8", retry: FAST });
    const listed = await listModels({ settings: { ...settings, modelsDir } });
    expect(listed.find((m) => m.name === MODEL)!.modelsDir).toEqual({ q8: join(modelsDir, MODEL) });
    expect(listed.find((m) => m.name === "bge-reranker-base")!.modelsDir).toEqual({});
  });

  it("lists mapped-weights copies and prunes those nothing will load again", async () => {
    const source = join(cacheRoot, "source.onnx");
    await writeFile(source, await readFile(join(TINY.bert, "onnx/model.onnx")));
    const first = await mapModelWeights(source, settings.weightsDir, 1024);
    await utimes(source, new Date(), new Date(Date.now() + 5000));
    const second = await mapModelWeights(source, settings.weightsDir, 1024);
    const stray = join(settings.weightsDir, "not-a-copy");
    await mkdir(stray);
    const copies = await listWeightCopies({ settings });
    expect(copies.map((c) => [join(c.dir, "model.onnx"), c.status])).toEqual(
      [
        [first, "stale"],
        [second, "current"],
      ].sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
    expect(copies.every((c) => c.bytes > 0 && c.source === source)).toBe(true);
    expect((await pruneWeightCopies({ settings })).map((c) => join(c.dir, "model.onnx"))).toEqual([first]);
    expect(existsSync(first)).toBe(false);
    expect(existsSync(second)).toBe(true);
    expect((await pruneWeightCopies({ settings, all: true })).map((c) => join(c.dir, "model.onnx"))).toEqual([second]);
    expect(existsSync(stray)).toBe(true);
  });

  it("calls a copy current exactly when the provider would load it as it is", async () => {
    const model = await readFile(join(TINY.bert, "onnx/model.onnx"));
    const source = join(cacheRoot, "source.onnx");
    // A whole second, so setting it again gives the same mtimeMs and so the same copy folder.
    const when = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const place = async (bytes: Buffer, how: "in place" | "replaced") => {
      if (how === "in place") await writeFile(source, bytes);
      else {
        await writeFile(`${source}.new`, bytes);
        await rename(`${source}.new`, source);
      }
      await utimes(source, when, when);
    };
    const altered = Buffer.from(model);
    altered[altered.length - 1]! ^= 0xff;
    const stripRecord = async (dir: string) => {
      const record = JSON.parse(await readFile(join(dir, "source.json"), "utf8"));
      const { ino: _i, ctimeNs: _c, sha256: _s, ...older } = record;
      await writeFile(join(dir, "source.json"), JSON.stringify(older));
    };
    // Each case: how the source changes after its copy was made, and what the listing must then say.
    const cases: [string, () => Promise<void>, "current" | "stale"][] = [
      ["untouched", async () => undefined, "current"],
      ["same bytes, replaced (new inode, same size and mtime)", () => place(model, "replaced"), "current"],
      ["same bytes, rewritten in place (new ctime)", () => place(model, "in place"), "current"],
      ["other bytes, same size and mtime, rewritten in place", () => place(altered, "in place"), "stale"],
      ["other bytes, same size and mtime, replaced", () => place(altered, "replaced"), "stale"],
    ];
    for (const [label, change, expected] of cases) {
      await rm(settings.weightsDir, { recursive: true, force: true });
      await place(model, "replaced");
      const copy = await mapModelWeights(source, settings.weightsDir, 1024);
      await change();
      const [listed] = await listWeightCopies({ settings });
      expect([label, listed!.status]).toEqual([label, expected]);
      // The provider's own verdict: a copy it keeps keeps this mark; one it makes again is a fresh folder.
      const mark = join(copy, "..", "mark");
      await writeFile(mark, "");
      expect(await mapModelWeights(source, settings.weightsDir, 1024)).toBe(copy);
      expect([label, existsSync(mark)]).toEqual([label, expected === "current"]);
      expect((await listWeightCopies({ settings })).map((c) => c.status)).toEqual(["current"]);
    }
    // A record from before inode, ctime and content were kept is made again by the provider once anything moved.
    await rm(settings.weightsDir, { recursive: true, force: true });
    const copy = await mapModelWeights(source, settings.weightsDir, 1024);
    await stripRecord(join(copy, ".."));
    await place(model, "replaced");
    expect((await listWeightCopies({ settings })).map((c) => c.status)).toEqual(["stale"]);
    expect((await pruneWeightCopies({ settings })).map((c) => join(c.dir, "model.onnx"))).toEqual([copy]);
  });

  it("the CLI lists the models folder and lists and prunes weights", async () => {
    const modelsDir = join(cacheRoot, "shipped");
    await pullModel(MODEL, { settings, dir: modelsDir, retry: FAST });
    const source = join(cacheRoot, "source.onnx");
    await writeFile(source, await readFile(join(TINY.bert, "onnx/model.onnx")));
    const copy = await mapModelWeights(source, settings.weightsDir, 1024);
    await rm(source);
    const env = {
      ...process.env,
      CROSSRANK_CACHE_DIR: cacheRoot,
      CROSSRANK_MODELS_DIR: modelsDir,
      CROSSRANK_OFFLINE: "1",
    };
    const listed = await run(process.execPath, [CLI, "models", "list"], { env });
    expect(listed.stdout).toContain(modelsDir);
    expect(listed.stdout).toMatch(new RegExp(`${MODEL}\\s+fp32`));
    const weights = await run(process.execPath, [CLI, "models", "weights"], { env });
    expect(weights.stdout).toMatch(/stale/);
    expect(weights.stdout).toContain(source);
    const pruned = await run(process.execPath, [CLI, "models", "weights", "--prune"], { env });
    expect(pruned.stdout).toMatch(/removed 1 /);
    expect(existsSync(copy)).toBe(false);
  });
});

describe("HF_ENDPOINT", () => {
  it("loses its trailing slashes, and a long run of slashes inside it does not stall the event loop", () => {
    expect(hubSettings({ HF_ENDPOINT: "http://127.0.0.1:9/mirror///" }).endpoint).toBe("http://127.0.0.1:9/mirror");
    // A regex that strips a trailing run retries at every slash of a run that does not end the text: ~4 s here.
    const started = performance.now();
    const endpoint = hubSettings({ HF_ENDPOINT: `http://127.0.0.1:9/${"/".repeat(60_000)}a` }).endpoint;
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(endpoint.endsWith("/a")).toBe(true);
  });
});
