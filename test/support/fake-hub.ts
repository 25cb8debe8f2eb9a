import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import type { AddressInfo } from "node:net";
import { join, relative } from "node:path";

/**
 * A local stand-in for the Hugging Face hub's file API, speaking its wire format:
 * `GET /{org}/{repo}/resolve/{revision}/{path}` answers git-stored files directly (ETag = git blob sha1) and
 * LFS files with a 302 to a storage host on another origin (X-Linked-Etag = sha256, X-Linked-Size), sends
 * X-Repo-Commit, 404 with X-Error-Code for missing repos/revisions/files and 401 for gated repos without a token.
 * Faults can be queued per file to test retries, verification, timeouts, trickles and hostile answers; a repo can
 * be served like a mirror that gzips its files or publishes no digest. Every wait it makes is bounded.
 */
export interface Fault {
  /** Answer with this status instead (on the hub for statuses, on storage for body faults). */
  status?: number;
  retryAfter?: string;
  /** Send this many bytes of the body, then drop the connection. */
  truncateAt?: number;
  /** Send the full length with altered bytes. */
  corrupt?: boolean;
  /** Wait before answering. */
  delayMs?: number;
  /** Where the fault happens; by default the hub for statuses and redirects, storage for the rest. */
  at?: "hub" | "storage";
  /** Accept the request and send nothing (not even headers) until the client gives up. */
  hang?: boolean;
  /** Send headers and this many bytes of the body, then nothing more until the client gives up. */
  stallAfter?: number;
  /** Send headers, then the body `bytes` at a time every `everyMs` (until done or the client gives up). */
  trickle?: { bytes: number; everyMs: number };
  /** Send headers without a length and body bytes without end (until the client gives up, or 64 MiB). */
  endless?: boolean;
  /** Answer with a 302 to this URL instead. */
  redirectTo?: string;
}

/** The longest a stalled or endless answer keeps its connection, so no test can hang on the server side. */
const HOSTILE_MAX_MS = 30_000;

export interface LoggedRequest {
  host: "hub" | "storage";
  url: string;
  authorization: string | undefined;
  at: number;
}

interface RepoFile {
  body: Buffer;
  sha256: string;
  gitSha1: string;
  lfs: boolean;
}

interface Repo {
  commit: string;
  files: Map<string, RepoFile>;
  gatedToken?: string;
  /** Like a mirror: bodies gzipped with Content-Encoding, Content-Length of the compressed bytes. */
  gzip?: boolean;
  /** Like a server that publishes no digest: no X-Linked-Etag, an MD5-looking ETag. */
  noDigest?: boolean;
  /** Like a hostile mirror: serves its files at any revision name at all. */
  anyRevision?: boolean;
}

const LFS = /\.(onnx|onnx_data|bin|safetensors)$/;

export class FakeHub {
  readonly requests: LoggedRequest[] = [];
  private readonly repos = new Map<string, Repo>();
  private readonly faults = new Map<string, Fault[]>();
  private readonly blobs = new Map<string, RepoFile>();
  private hub!: Server;
  private storage!: Server;
  endpoint = "";
  storageOrigin = "";

  async start(): Promise<this> {
    this.hub = createServer((req, res) => void this.onHub(req, res));
    this.storage = createServer((req, res) => void this.onStorage(req, res));
    await Promise.all([listen(this.hub), listen(this.storage)]);
    this.endpoint = `http://127.0.0.1:${(this.hub.address() as AddressInfo).port}`;
    // Another port is another origin, like the hub's storage host.
    this.storageOrigin = `http://127.0.0.1:${(this.storage.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.hub.closeAllConnections();
    this.storage.closeAllConnections();
    await Promise.all([new Promise((r) => this.hub.close(r)), new Promise((r) => this.storage.close(r))]);
  }

  /** Serves every file of a local model folder as `repo` at `commit` (and at "main"). */
  async addRepo(
    repo: string,
    dir: string,
    options: {
      commit?: string;
      gatedToken?: string;
      omit?: string[];
      gzip?: boolean;
      noDigest?: boolean;
      anyRevision?: boolean;
    } = {},
  ): Promise<void> {
    const files = new Map<string, RepoFile>();
    for (const path of await listFiles(dir)) {
      if (options.omit?.includes(path)) continue;
      const body = await readFile(join(dir, path));
      const file: RepoFile = {
        body,
        sha256: createHash("sha256").update(body).digest("hex"),
        gitSha1: createHash("sha1").update(`blob ${body.length}\0`).update(body).digest("hex"),
        lfs: LFS.test(path),
      };
      files.set(path, file);
      this.blobs.set(file.sha256, file);
    }
    const commit = options.commit ?? createHash("sha1").update(repo).digest("hex");
    this.repos.set(repo, {
      commit,
      files,
      gatedToken: options.gatedToken,
      gzip: options.gzip,
      noDigest: options.noDigest,
      anyRevision: options.anyRevision,
    });
  }

  /** Queue faults for a file path (e.g. "onnx/model.onnx"); each request consumes one. */
  fail(path: string, ...faults: Fault[]): void {
    this.faults.set(path, [...(this.faults.get(path) ?? []), ...faults]);
  }

  /** Drops faults a test queued but did not use up. */
  clearFaults(): void {
    this.faults.clear();
  }

  requestsFor(path: string, host?: "hub" | "storage"): LoggedRequest[] {
    return this.requests.filter(
      (r) =>
        (host === undefined || r.host === host) &&
        (r.url.endsWith(`/${path}`) || r.url.includes(`name=${encodeURIComponent(path)}`)),
    );
  }

  private nextFault(path: string, stage: "hub" | "storage"): Fault | undefined {
    const queue = this.faults.get(path);
    const next = queue?.[0];
    if (!next) return undefined;
    // Status faults are the hub's answers; body faults (and plain delays) happen at the storage host.
    const at = next.at ?? (next.status !== undefined || next.redirectTo !== undefined ? "hub" : "storage");
    if (at !== stage) return undefined;
    queue!.shift();
    return next;
  }

  private async onHub(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests.push({ host: "hub", url: req.url!, authorization: req.headers.authorization, at: Date.now() });
    const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(req.url!.split("?")[0]!);
    if (!match) return json(res, 404, { error: "Not Found" });
    const [, repoId, revision, rawPath] = match as unknown as [string, string, string, string];
    const path = rawPath.split("/").map(decodeURIComponent).join("/");
    const repo = this.repos.get(repoId);
    if (!repo) return json(res, 404, { error: "Repository not found" }, { "x-error-code": "RepoNotFound" });
    if (repo.gatedToken && req.headers.authorization !== `Bearer ${repo.gatedToken}`) {
      return json(
        res,
        401,
        {
          error: `Access to model ${repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
        },
        { "x-error-code": "GatedRepo" },
      );
    }
    const rev = decodeURIComponent(revision);
    if (!repo.anyRevision && rev !== "main" && rev !== repo.commit)
      return json(res, 404, { error: `Invalid rev id: ${rev}` }, { "x-error-code": "RevisionNotFound" });
    const fault = this.nextFault(path, "hub");
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.status) {
      return json(
        res,
        fault.status,
        { error: "Internal Error" },
        fault.retryAfter ? { "retry-after": fault.retryAfter } : {},
      );
    }
    if (fault?.redirectTo) {
      res.writeHead(302, { location: fault.redirectTo, "content-length": "0" });
      res.end();
      return;
    }
    const file = repo.files.get(path);
    if (!file) return json(res, 404, { error: "Entry not found" }, { "x-error-code": "EntryNotFound" });
    const common = { "x-repo-commit": repo.commit };
    if (file.lfs) {
      const gzip = repo.gzip ? "&gzip=1" : "";
      res.writeHead(302, {
        ...common,
        location: `${this.storageOrigin}/blobs/${file.sha256}?name=${encodeURIComponent(path)}${gzip}`,
        ...(repo.noDigest
          ? { etag: `"${md5Like(file.body)}"` }
          : { "x-linked-etag": `"${file.sha256}"`, etag: `"${file.gitSha1}"` }),
        "x-linked-size": String(file.body.length),
        "content-length": "0",
      });
      res.end();
      return;
    }
    if (fault && (await hostile(res, fault, file.body))) return;
    const etag = repo.noDigest ? md5Like(file.body) : file.gitSha1;
    sendBody(res, file.body, { ...common, etag: `"${etag}"`, "content-type": "application/json" }, repo.gzip === true);
  }

  private async onStorage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests.push({ host: "storage", url: req.url!, authorization: req.headers.authorization, at: Date.now() });
    const url = new URL(req.url!, this.storageOrigin);
    const sha = /^\/blobs\/([0-9a-f]{64})$/.exec(url.pathname)?.[1];
    const file = sha ? this.blobs.get(sha) : undefined;
    if (!file) return json(res, 404, { error: "NoSuchKey" });
    const fault = this.nextFault(url.searchParams.get("name") ?? "", "storage");
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault && (await hostile(res, fault, file.body))) return;
    if (url.searchParams.get("gzip") === "1" && !fault)
      return sendBody(res, file.body, { etag: `"${file.sha256}"`, "content-type": "application/octet-stream" }, true);
    res.writeHead(200, {
      "content-length": String(file.body.length),
      etag: `"${file.sha256}"`,
      "content-type": "application/octet-stream",
    });
    if (fault?.truncateAt !== undefined) {
      res.write(file.body.subarray(0, fault.truncateAt));
      await sleep(20);
      res.destroy();
      return;
    }
    if (fault?.corrupt) {
      const bad = Buffer.from(file.body);
      bad[bad.length >> 1] = (bad[bad.length >> 1]! + 1) % 256;
      res.end(bad);
      return;
    }
    res.end(file.body);
  }
}

/** What a server that publishes no usable digest sends as ETag: an MD5, which is neither sha256 nor a git blob id. */
function md5Like(body: Buffer): string {
  return createHash("md5").update(body).digest("hex");
}

function sendBody(res: ServerResponse, body: Buffer, headers: Record<string, string>, gzip: boolean): void {
  const sent = gzip ? gzipSync(body) : body;
  res.writeHead(200, {
    ...headers,
    "content-length": String(sent.length),
    ...(gzip ? { "content-encoding": "gzip" } : {}),
  });
  res.end(sent);
}

/** Plays a stalling or endless answer; true when it took the response over. */
async function hostile(res: ServerResponse, fault: Fault, body: Buffer): Promise<boolean> {
  const closed = new Promise<void>((resolve) => res.once("close", resolve));
  const bounded = Promise.race([closed, sleep(HOSTILE_MAX_MS)]);
  if (fault.hang) {
    await bounded;
    res.destroy();
    return true;
  }
  if (fault.stallAfter !== undefined) {
    res.writeHead(200, { "content-length": String(body.length), "content-type": "application/octet-stream" });
    res.write(body.subarray(0, fault.stallAfter));
    await bounded;
    res.destroy();
    return true;
  }
  if (fault.trickle) {
    res.writeHead(200, { "content-length": String(body.length), "content-type": "application/octet-stream" });
    let open = true;
    void closed.then(() => (open = false));
    const started = Date.now();
    let sent = 0;
    while (open && sent < body.length && Date.now() - started < HOSTILE_MAX_MS) {
      const next = Math.min(body.length, sent + fault.trickle.bytes);
      res.write(body.subarray(sent, next));
      sent = next;
      if (sent < body.length) await Promise.race([closed, sleep(fault.trickle.everyMs)]);
    }
    if (open && sent === body.length) res.end();
    else res.destroy();
    return true;
  }
  if (fault.endless) {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    const chunk = Buffer.alloc(64 * 1024, 7);
    let open = true;
    void closed.then(() => (open = false));
    const started = Date.now();
    for (let sent = 0; open && sent < 64 * 1024 * 1024 && Date.now() - started < HOSTILE_MAX_MS; sent += chunk.length) {
      if (!res.write(chunk)) await Promise.race([new Promise((r) => res.once("drain", r)), closed, sleep(1000)]);
    }
    res.destroy();
    return true;
  }
  return false;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
}

async function listFiles(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full, root)));
    else out.push(relative(root, full));
  }
  return out;
}
