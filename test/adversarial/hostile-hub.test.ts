/**
 * A hostile hub and mirror on 127.0.0.1 against the hub client: names that try to leave the cache, links planted in
 * it, missing and wrong digests, hosts that stall before their headers or in mid-body, bodies without end, gzip,
 * unknown encodings, and redirects to other origins and schemes. Every case is bounded in time, ends in a typed
 * error (or a verified file), and leaves the folder around the cache exactly as it was.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { isRerankError, type RerankError } from "@crossrank/core";
import {
  downloadFile,
  hubSettings,
  isInside,
  listWeightCopies,
  MIN_BYTES_PER_WINDOW,
  lookupModel,
  pruneWeightCopies,
  pullModel,
  resolveModel,
  snapshotDir,
  verifyModel,
  type HubSettings,
} from "@crossrank/hub";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TINY } from "../setup/fixture-paths.js";
import { FakeHub } from "../support/fake-hub.js";
import { failure } from "../support/failure.js";
import { within as settleWithin } from "../support/within.js";

const TOKEN = "hf_hostileTEST_token_never_leaves_4242";
const NO_RETRY = { retries: 0, minTimeout: 1, maxTimeout: 1 };
const FAST = { retries: 2, minTimeout: 5, maxTimeout: 20 };
/** Each hostile case must settle well inside this; a hang fails the test instead of stalling the suite. */
const BOUND_MS = 8000;

let hub: FakeHub;
/** A second server: a mirror whose every answer a test chooses, and where stray requests would land. */
let mirror: Server;
let mirrorOrigin = "";
let mirrorHandler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
const mirrorRequests: { url: string; authorization: string | undefined }[] = [];

let parent: string;
let settings: HubSettings;
let before: Map<string, string>;

/** Every entry below `dir` except the cache itself: type, size and link target, to show nothing changed. */
async function snapshot(dir: string, skip: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (path === skip || path.startsWith(`${skip}/`)) continue;
    const info = await lstat(path);
    const what = info.isSymbolicLink()
      ? `link ${await readlink(path)}`
      : info.isDirectory()
        ? "dir"
        : `file ${info.size}`;
    out.set(relative(dir, path), what);
  }
  return out;
}

function within<T>(promise: Promise<T>, ms = BOUND_MS): Promise<T> {
  return settleWithin(ms, promise);
}

/** A typed error whose message and cause never show the token. */
async function typed(promise: Promise<unknown>): Promise<RerankError> {
  const e = await within(failure(promise));
  expect(JSON.stringify({ message: e.message, stack: e.stack, cause: String(e.cause) })).not.toContain(TOKEN);
  return e;
}

beforeAll(async () => {
  hub = await new FakeHub().start();
  await hub.addRepo("hostile/any-revision", TINY.bert, { anyRevision: true });
  await hub.addRepo("hostile/model", TINY.bert);
  await hub.addRepo("hostile/no-digest", TINY.bert, { noDigest: true });
  await hub.addRepo("hostile/gzipped", TINY.bert, { gzip: true });
  mirror = createServer((req, res) => {
    mirrorRequests.push({ url: req.url!, authorization: req.headers.authorization });
    mirrorHandler(req, res);
  });
  await new Promise<void>((r) => mirror.listen(0, "127.0.0.1", r));
  mirrorOrigin = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
});
afterAll(async () => {
  mirror.closeAllConnections();
  await new Promise((r) => mirror.close(r));
  await hub.stop();
});

beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), "crossrank-hostile-"));
  await mkdir(join(parent, "outside"));
  await writeFile(join(parent, "outside", "keep.txt"), "not the cache's");
  settings = hubSettings({ HF_ENDPOINT: hub.endpoint, CROSSRANK_CACHE_DIR: join(parent, "cache"), HF_TOKEN: TOKEN });
  hub.requests.length = 0;
  hub.clearFaults();
  mirrorRequests.length = 0;
  before = await snapshot(parent, join(parent, "cache"));
});
afterEach(async () => {
  // Whatever a case did, the folder around the cache is as it was.
  expect(await snapshot(parent, join(parent, "cache"))).toEqual(before);
  mirror.closeAllConnections();
  await rm(parent, { recursive: true, force: true });
});

describe("names that try to leave the cache", () => {
  const repos = [
    "../hostile/model",
    "hostile/..",
    "hostile/../../x",
    "/abs/model",
    "a/b/c",
    "hostile/mo\0del",
    "hostile\\..\\x",
    "..\u2215x/y",
  ];
  const revisions = [
    "../../outside",
    "a/../../outside",
    "/outside",
    "..",
    ".",
    "x/./y",
    "main\0",
    "refs/../..",
    "a\\..\\b",
    "%2e%2e",
  ];

  it("refuses hostile repo ids and revisions before any request, with INVALID_CONFIG", async () => {
    for (const name of [...repos, ...revisions.map((r) => `hostile/any-revision@${r}`)]) {
      const e = await typed(pullModel(name, { settings, retry: NO_RETRY }));
      expect(e.code, name).toBe("INVALID_CONFIG");
      const r = await typed(resolveModel(name, { settings, retry: NO_RETRY }));
      expect(r.code, name).toBe("INVALID_CONFIG");
    }
    expect(hub.requests).toHaveLength(0);
    expect(existsSync(join(parent, "cache"))).toBe(false);
  });

  it("refuses file names that are absolute, climb, or hide among crossrank's own files", async () => {
    const ref = lookupModel("hostile/any-revision")!;
    const destDir = snapshotDir(settings.cacheDir, ref);
    for (const path of [
      "../../outside/x",
      "/etc/passwd",
      "onnx/../../../outside/x",
      ".crossrank/config.json.json",
      "a/./b",
      "",
      "x.part",
      "a\0b",
    ]) {
      const e = await typed(
        downloadFile({
          settings,
          ref,
          file: { path, optional: false },
          destDir,
          root: settings.cacheDir,
          retry: NO_RETRY,
        }),
      );
      expect(e.code, path).toBe("INVALID_CONFIG");
    }
    expect(hub.requests).toHaveLength(0);
  });
});

describe("links and files planted in the cache", () => {
  const dirOf = () => snapshotDir(settings.cacheDir, lookupModel("hostile/model")!);

  it("a linked models, repo, snapshot, onnx or record folder is never written through", async () => {
    // "../.." is the cache's models/ folder; the cache root itself may be a link (the user chose it).
    for (const planted of ["../..", "..", "", "onnx", ".crossrank"]) {
      await rm(join(parent, "cache"), { recursive: true, force: true });
      const at = join(dirOf(), planted);
      await mkdir(join(at, ".."), { recursive: true });
      await symlink(join(parent, "outside"), at);
      const e = await typed(pullModel("hostile/model", { settings, retry: NO_RETRY }));
      expect(e.code, planted).toBe("DOWNLOAD_FAILED");
      expect(e.message).toMatch(/symbolic link/);
    }
  });

  it("a link where a file goes is replaced, not followed; the file is then the verified download", async () => {
    await mkdir(dirOf(), { recursive: true });
    await symlink(join(parent, "outside", "keep.txt"), join(dirOf(), "config.json"));
    const pulled = await within(pullModel("hostile/model", { settings, retry: NO_RETRY }));
    expect((await lstat(join(pulled.dir, "config.json"))).isFile()).toBe(true);
    expect(await readFile(join(pulled.dir, "config.json"))).toEqual(await readFile(join(TINY.bert, "config.json")));
    expect(await readFile(join(parent, "outside", "keep.txt"), "utf8")).toBe("not the cache's");
  });

  it("a linked cached file does not count as cached: verify reports it, resolve fetches a real one", async () => {
    const pulled = await within(pullModel("hostile/model", { settings, retry: NO_RETRY }));
    const onnx = join(pulled.dir, "onnx", "model.onnx");
    await rm(onnx);
    await symlink(join(TINY.bert, "onnx", "model.onnx"), onnx);
    expect(
      (await verifyModel("hostile/model", { settings })).files.find((f) => f.path === "onnx/model.onnx")!.status,
    ).toBe("missing");
    const resolved = await within(resolveModel("hostile/model", { settings, retry: NO_RETRY }));
    expect(resolved.source).toBe("download");
    expect((await lstat(onnx)).isFile()).toBe(true);
  });
});

describe("digests", () => {
  it("a wrong digest fails CHECKSUM_MISMATCH and caches nothing", async () => {
    hub.fail("onnx/model.onnx", { corrupt: true });
    expect((await typed(pullModel("hostile/model", { settings, retry: NO_RETRY }))).code).toBe("CHECKSUM_MISMATCH");
    expect(existsSync(join(snapshotDir(settings.cacheDir, lookupModel("hostile/model")!), "onnx", "model.onnx"))).toBe(
      false,
    );
  });

  it("no digest: unverified by default, refused in strict mode", async () => {
    await within(pullModel("hostile/no-digest", { settings, retry: NO_RETRY }));
    expect((await verifyModel("hostile/no-digest", { settings })).files.every((f) => f.status === "unverified")).toBe(
      true,
    );
    await rm(join(parent, "cache"), { recursive: true });
    const e = await typed(pullModel("hostile/no-digest", { settings, retry: NO_RETRY, requireDigest: true }));
    expect(e.code).toBe("DOWNLOAD_FAILED");
    expect(e.message).toMatch(/no sha256 or git blob id/);
  });
});

describe("hosts that stall or never stop", () => {
  it("stalls before headers, at the hub and at storage, end at the timeout", async () => {
    for (const at of ["hub", "storage"] as const) {
      hub.fail(at === "hub" ? "config.json" : "onnx/model.onnx", { at, hang: true });
      const started = Date.now();
      const e = await typed(pullModel("hostile/model", { settings, retry: NO_RETRY, timeoutMs: 200 }));
      expect(e.code, at).toBe("DOWNLOAD_FAILED");
      expect(e.message).toMatch(/sent nothing for 200 ms/);
      expect(Date.now() - started).toBeLessThan(BOUND_MS / 2);
    }
  });

  it("a stall mid-body ends at the timeout and leaves no partial file", async () => {
    hub.fail("onnx/model.onnx", { stallAfter: 5000 });
    const e = await typed(pullModel("hostile/model", { settings, retry: NO_RETRY, timeoutMs: 200 }));
    expect(e.message).toMatch(/after 5000 bytes/);
    const left = await readdir(join(parent, "cache"), { recursive: true });
    expect(left.filter((f) => String(f).endsWith(".part"))).toEqual([]);
  });

  it("a stall is retried, then a whole file is taken", async () => {
    hub.fail("onnx/model.onnx", { stallAfter: 100 });
    const pulled = await within(pullModel("hostile/model", { settings, retry: FAST, timeoutMs: 200 }));
    expect(pulled.downloaded).toContain("onnx/model.onnx");
    expect((await verifyModel("hostile/model", { settings })).files.every((f) => f.status === "ok")).toBe(true);
  });

  it("a host that trickles a few bytes per timeout is ended at the throughput floor, not left to run", async () => {
    // Never silent for the timeout, so only the floor of MIN_BYTES_PER_WINDOW per window can end it.
    hub.fail("onnx/model.onnx", { trickle: { bytes: 1, everyMs: 40 } });
    const started = Date.now();
    const e = await typed(pullModel("hostile/model", { settings, retry: NO_RETRY, timeoutMs: 300 }));
    expect(e.code).toBe("DOWNLOAD_FAILED");
    expect(e.message).toMatch(/sent only \d+ bytes in 300 ms .*at least 1024 bytes per CROSSRANK_HUB_TIMEOUT_MS/);
    expect(MIN_BYTES_PER_WINDOW).toBe(1024);
    expect(Date.now() - started).toBeLessThan(BOUND_MS / 2);
    const left = await readdir(join(parent, "cache"), { recursive: true });
    expect(left.filter((f) => String(f).endsWith(".part"))).toEqual([]);
  });

  it("a slow host that keeps above the floor is waited for, however long the whole file takes", async () => {
    // 8 KiB every 100 ms with a 400 ms timeout: about 2 s for the model, several times the timeout.
    hub.fail("onnx/model.onnx", { trickle: { bytes: 8192, everyMs: 100 } });
    const started = Date.now();
    const pulled = await within(pullModel("hostile/model", { settings, retry: NO_RETRY, timeoutMs: 400 }));
    expect(Date.now() - started).toBeGreaterThan(800);
    expect(pulled.downloaded).toContain("onnx/model.onnx");
    expect((await verifyModel("hostile/model", { settings })).files.every((f) => f.status === "ok")).toBe(true);
  });

  it("a stall is retried once, not as often as the retry policy allows", async () => {
    const policy = { retries: 4, minTimeout: 5, maxTimeout: 20 };
    for (const [path, fault] of [
      ["config.json", { at: "hub" as const, hang: true }],
      ["onnx/model.onnx", { stallAfter: 100 }],
      ["onnx/model.onnx", { trickle: { bytes: 1, everyMs: 40 } }],
    ] as const) {
      await rm(join(parent, "cache"), { recursive: true, force: true });
      hub.clearFaults();
      hub.requests.length = 0;
      hub.fail(path, fault, fault, fault, fault, fault);
      const e = await typed(pullModel("hostile/model", { settings, retry: policy, timeoutMs: 200 }));
      expect(e.code, path).toBe("DOWNLOAD_FAILED");
      expect(e.message).toMatch(/sent (nothing|only \d+ bytes)/);
      const host = "at" in fault ? "hub" : "storage";
      expect(hub.requestsFor(path, host), JSON.stringify(fault)).toHaveLength(2);
    }
  });

  it("an abort ends a stalled download at once", async () => {
    hub.fail("config.json", { at: "hub", hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const e = await typed(pullModel("hostile/model", { settings, retry: NO_RETRY, signal: controller.signal }));
    expect(e.code).toBe("ABORTED");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("an endless body past the declared size, or past the limit where none is declared, is cut off", async () => {
    hub.fail("onnx/model.onnx", { endless: true });
    const declared = await typed(pullModel("hostile/model", { settings, retry: NO_RETRY }));
    expect(declared.message).toMatch(/sent more of onnx\/model\.onnx than its declared \d+ bytes/);
    // At the hub, with no length, no size header and no digest: only the limit stops it.
    await rm(join(parent, "cache"), { recursive: true });
    hub.fail("config.json", { at: "hub", endless: true });
    const undeclared = await typed(pullModel("hostile/model", { settings, retry: NO_RETRY, maxFileBytes: 1 << 20 }));
    expect(undeclared.message).toMatch(/than the 1048576-byte limit/);
  });
});

describe("encodings", () => {
  it("a gzipping mirror's files are decoded, sized and digested as the files they are", async () => {
    const pulled = await within(pullModel("hostile/gzipped", { settings, retry: NO_RETRY }));
    for (const f of pulled.files)
      expect(await readFile(join(pulled.dir, f.path))).toEqual(await readFile(join(TINY.bert, f.path)));
  });

  it("an encoding fetch does not decode is refused; a gzip bomb stops at the declared size", async () => {
    const endpoint = hubSettings({ HF_ENDPOINT: mirrorOrigin, CROSSRANK_CACHE_DIR: join(parent, "cache") });
    mirrorHandler = (_req, res) => {
      res.writeHead(200, { "content-encoding": "compress", etag: `"${"a".repeat(40)}"` });
      res.end("x");
    };
    const odd = await typed(pullModel("hostile/model", { settings: endpoint, retry: NO_RETRY }));
    expect(odd.message).toMatch(/Content-Encoding "compress"/);
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024));
    mirrorHandler = (_req, res) => {
      res.writeHead(200, {
        "content-encoding": "gzip",
        "content-length": String(bomb.length),
        "x-linked-size": "1000",
      });
      res.end(bomb);
    };
    const e = await typed(pullModel("hostile/model", { settings: endpoint, retry: NO_RETRY }));
    expect(e.message).toMatch(/declared 1000 bytes/);
  });
});

describe("redirects", () => {
  it("the token never follows a redirect to another origin, a non-http scheme or a URL with credentials", async () => {
    hub.fail("config.json", { redirectTo: `${mirrorOrigin}/steal` });
    mirrorHandler = (_req, res) => res.writeHead(404).end();
    expect((await typed(pullModel("hostile/model", { settings, retry: NO_RETRY }))).code).toBe("DOWNLOAD_FAILED");
    expect(mirrorRequests).toHaveLength(1);
    expect(mirrorRequests[0]!.authorization).toBeUndefined();
    for (const target of ["file:///etc/passwd", "data:text/plain,{}", `http://user:${TOKEN}@127.0.0.1:1/x`]) {
      hub.clearFaults();
      hub.fail("config.json", { redirectTo: target });
      const e = await typed(pullModel("hostile/model", { settings, retry: NO_RETRY }));
      expect(e.code, target).toBe("DOWNLOAD_FAILED");
      expect(e.message).toMatch(/does not follow/);
    }
    // The storage redirect of a real LFS file is followed, without the token.
    await within(pullModel("hostile/model", { settings, retry: NO_RETRY }));
    expect(hub.requests.filter((r) => r.host === "storage").every((r) => r.authorization === undefined)).toBe(true);
    expect(hub.requests.filter((r) => r.host === "hub").every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it("a redirect loop ends after a few hops", async () => {
    mirrorHandler = (req, res) => res.writeHead(302, { location: `${req.url}x` }).end();
    const endpoint = hubSettings({ HF_ENDPOINT: mirrorOrigin, CROSSRANK_CACHE_DIR: join(parent, "cache") });
    const e = await typed(pullModel("hostile/model", { settings: endpoint, retry: NO_RETRY }));
    expect(e.message).toMatch(/more than 5 redirects/);
    expect(mirrorRequests.length).toBe(6);
  });

  it("credentials in HF_ENDPOINT are refused, not sent and not shown", async () => {
    const withUser = hubSettings({
      HF_ENDPOINT: `http://me:${TOKEN}@127.0.0.1:1`,
      CROSSRANK_CACHE_DIR: join(parent, "cache"),
    });
    const e = await typed(pullModel("hostile/model", { settings: withUser, retry: NO_RETRY }));
    expect(e.code).toBe("INVALID_CONFIG");
  });
});

describe("the hub token", () => {
  const BAD = [
    "hf_TOK\nSECRET",
    "hf_TOK\r\nX-Injected: SECRET",
    "hf_TOK\0SECRET",
    "hf_TOK\u0007SECRET",
    "hf_TOK€SECRET",
  ];

  it("a token that cannot go in a header is refused when settings are read, without showing it", () => {
    for (const token of BAD) {
      let error: unknown;
      try {
        hubSettings({ HF_ENDPOINT: hub.endpoint, CROSSRANK_CACHE_DIR: join(parent, "cache"), HF_TOKEN: token });
      } catch (e) {
        error = e;
      }
      expect(isRerankError(error, "INVALID_CONFIG"), JSON.stringify(token)).toBe(true);
      expect((error as Error).message).toBe("HF_TOKEN holds a character not allowed in an HTTP header");
      expect((error as Error).stack).not.toMatch(/SECRET|hf_TOK/);
    }
  });

  it("settings made by hand with such a token fail INVALID_CONFIG before any request, not after retries", async () => {
    for (const token of BAD) {
      hub.requests.length = 0;
      const e = await within(failure(pullModel("hostile/model", { settings: { ...settings, token }, retry: FAST })));
      expect(e.code, JSON.stringify(token)).toBe("INVALID_CONFIG");
      expect(JSON.stringify({ m: e.message, s: e.stack, c: String(e.cause) })).not.toMatch(/SECRET|hf_TOK/);
      expect(hub.requests).toEqual([]);
    }
  });

  it("property: any HF_TOKEN is refused with INVALID_CONFIG or is one a request header can carry", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (raw) => {
        const token = `hf_${raw}`;
        let read: HubSettings | undefined;
        try {
          read = hubSettings({ HF_TOKEN: token, CROSSRANK_CACHE_DIR: join(parent, "cache") });
        } catch (error) {
          expect(isRerankError(error, "INVALID_CONFIG")).toBe(true);
          expect((error as Error).message).not.toContain(token.trim());
          return;
        }
        expect(read.token).toBe(token.trim());
        const header = `Bearer ${read.token}`;
        expect(new Headers({ authorization: header }).get("authorization")).toBe(header);
      }),
      { numRuns: 300 },
    );
  });

  it("a token that any hub error quotes is taken out of its message and cause", async () => {
    // A short token that happens to be part of the repo's name: every message naming the repo quotes it.
    hub.fail("onnx/model.onnx", { status: 500 });
    const e = await within(
      failure(pullModel("hostile/model", { settings: { ...settings, token: "hostile" }, retry: NO_RETRY })),
    );
    expect(e.code).toBe("DOWNLOAD_FAILED");
    expect(e.message).toMatch(/HTTP 500 for \[redacted\]\/model@main: onnx\/model\.onnx/);
    expect(JSON.stringify({ m: e.message, s: e.stack, c: String(e.cause) })).not.toMatch(/hostile/i);
  });
});

describe("mapped-weights records that point elsewhere", () => {
  it("a record naming a FIFO, a device, a folder or nothing is listed stale at once; prune stays inside", async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), "crossrank-fifo-"));
    const fifo = join(elsewhere, "fifo");
    execFileSync("mkfifo", [fifo]);
    // The copies' own files; each record claims a source nothing can map from.
    const sources: unknown[] = [fifo, "/dev/zero", join(parent, "outside"), join(parent, "outside", "gone.onnx")];
    const dirs: string[] = [];
    for (const [i, source] of [...sources, 42].entries()) {
      const dir = join(settings.weightsDir, `${String(i).padStart(2, "0")}${"a".repeat(22)}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "model.onnx"), "m");
      await writeFile(join(dir, "model.onnx.data"), Buffer.alloc(16));
      const record = { source, size: 0, mtimeMs: 0, ino: "1", ctimeNs: "1", sha256: "0".repeat(64), weightsLength: 16 };
      await writeFile(join(dir, "source.json"), JSON.stringify(record));
      dirs.push(dir);
    }
    // A blocking open of the FIFO would wait for a writer that never comes.
    const listed = await within(listWeightCopies({ settings }), 3000);
    expect(listed.map((c) => c.status)).toEqual(["stale", "stale", "stale", "stale", "incomplete"]);
    const removed = await within(pruneWeightCopies({ settings }), 3000);
    expect(removed.map((c) => c.dir)).toEqual(dirs);
    expect(dirs.some((d) => existsSync(d))).toBe(false);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
    await rm(elsewhere, { recursive: true, force: true });
  });

  /** A folder that looks like a stale copy the provider made, with a record naming a source that is gone. */
  async function staleCopyIn(dir: string): Promise<string> {
    const copy = join(dir, "b".repeat(24));
    await mkdir(copy, { recursive: true });
    await writeFile(join(copy, "model.onnx"), "m");
    await writeFile(join(copy, "model.onnx.data"), Buffer.alloc(16));
    await writeFile(join(copy, "source.json"), JSON.stringify({ source: join(dir, "gone.onnx"), weightsLength: 16 }));
    return copy;
  }

  it("a link planted as the weights folder is not listed through, and prune removes nothing behind it", async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), "crossrank-weights-elsewhere-"));
    const copy = await staleCopyIn(elsewhere);
    await mkdir(join(parent, "cache"), { recursive: true });
    await symlink(elsewhere, settings.weightsDir);
    expect(await within(listWeightCopies({ settings }), 3000)).toEqual([]);
    expect(await within(pruneWeightCopies({ settings, all: true }), 3000)).toEqual([]);
    expect((await readdir(copy)).sort()).toEqual(["model.onnx", "model.onnx.data", "source.json"]);
    expect((await lstat(settings.weightsDir)).isSymbolicLink()).toBe(true);
    await rm(elsewhere, { recursive: true, force: true });
  });

  it("a record that is a link (to a FIFO) or a FIFO is never read: the copy is incomplete, and pruned", async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), "crossrank-fifo-record-"));
    const fifo = join(elsewhere, "fifo");
    execFileSync("mkfifo", [fifo]);
    const linked = join(settings.weightsDir, "c".repeat(24));
    const direct = join(settings.weightsDir, "d".repeat(24));
    for (const dir of [linked, direct]) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "model.onnx"), "m");
      await writeFile(join(dir, "model.onnx.data"), Buffer.alloc(16));
    }
    await symlink(fifo, join(linked, "source.json"));
    execFileSync("mkfifo", [join(direct, "source.json")]);
    // Reading either would wait for a writer that never comes.
    const listed = await within(listWeightCopies({ settings }), 3000);
    expect(listed.map((c) => [c.dir, c.status])).toEqual([
      [linked, "incomplete"],
      [direct, "incomplete"],
    ]);
    expect((await within(pruneWeightCopies({ settings }), 3000)).map((c) => c.dir)).toEqual([linked, direct]);
    expect(existsSync(linked) || existsSync(direct)).toBe(false);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
    await rm(elsewhere, { recursive: true, force: true });
  });
});

describe("property: hostile names", () => {
  const pieces = [
    "..",
    ".",
    "/",
    "\\",
    "\0",
    "%2e",
    "%2f",
    "~",
    "a",
    "org",
    "-",
    "_",
    "@",
    " ",
    "\n",
    "C:",
    "…",
    "x.part",
    ".crossrank",
    "//",
  ];
  const hostileName = fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 8 }).map((p) => p.join(""));

  it("every model name is refused with a typed error or resolves inside its root", async () => {
    const modelsDir = join(parent, "cache", "shipped");
    const offline = hubSettings({
      CROSSRANK_CACHE_DIR: join(parent, "cache"),
      CROSSRANK_MODELS_DIR: modelsDir,
      CROSSRANK_OFFLINE: "1",
    });
    await fc.assert(
      fc.asyncProperty(hostileName, async (name) => {
        let ref;
        try {
          ref = lookupModel(name);
        } catch (error) {
          expect(isRerankError(error, "INVALID_CONFIG")).toBe(true);
          return;
        }
        if (ref) expect(isInside(offline.cacheDir, snapshotDir(offline.cacheDir, ref))).toBe(true);
        const outcome = await within(
          resolveModel(name, { settings: offline }).then(
            (r) => r,
            (e: unknown) => e,
          ),
        );
        if (isRerankError(outcome)) expect(["INVALID_CONFIG", "MODEL_NOT_FOUND"]).toContain(outcome.code);
        else
          expect(
            isInside(modelsDir, (outcome as { dir: string }).dir) ||
              isInside(offline.cacheDir, (outcome as { dir: string }).dir),
          ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("every file name is refused with a typed error or lands inside the model folder", async () => {
    const ref = lookupModel("hostile/model")!;
    const destDir = snapshotDir(settings.cacheDir, ref);
    await fc.assert(
      fc.asyncProperty(hostileName, async (path) => {
        hub.requests.length = 0;
        const e = await typed(
          downloadFile({
            settings,
            ref,
            file: { path, optional: false },
            destDir,
            root: settings.cacheDir,
            retry: NO_RETRY,
          }),
        );
        // A name that passes the checks is asked for inside the repo (and is not there); nothing else is requested.
        if (e.code === "INVALID_CONFIG") expect(hub.requests).toHaveLength(0);
        else expect(e.message).toMatch(/HTTP 404/);
      }),
      { numRuns: 150 },
    );
    const cache = join(parent, "cache");
    if (existsSync(cache)) {
      for (const entry of await readdir(cache, { recursive: true }))
        expect(isInside(cache, join(cache, String(entry)))).toBe(true);
    }
  });
});
