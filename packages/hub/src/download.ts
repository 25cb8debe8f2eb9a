import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { dirname } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  isRerankError,
  parseRetryAfter,
  RerankError,
  TransientError,
  withRetries,
  type RetryPolicy,
} from "@crossrank/core";
import { filePath, gitBlobId, writeRecord, type FileRecord, type VerifiedBy } from "./cache.js";
import { checkFilePath, checkRepoId, checkRevision, isInside, shown } from "./names.js";
import { createExclusive, makeDirBelow, moveIntoPlace, tempName } from "./safe-fs.js";
import { StallTimer } from "./stall.js";
import type { ModelRef } from "./registry.js";
import { withoutToken } from "./redact-token.js";
import { checkToken, DEFAULT_HUB_TIMEOUT_MS, type HubSettings } from "./settings.js";

export interface ProgressEvent {
  file: string;
  downloaded: number;
  total: number | undefined;
}

export type { RetryPolicy };

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, minTimeout: 1000, maxTimeout: 30_000 };

export interface FileSpec {
  path: string;
  optional: boolean;
  size?: number;
  sha256?: string;
}

export interface DownloadFileOptions {
  settings: HubSettings;
  ref: ModelRef;
  file: FileSpec;
  destDir: string;
  /** Nothing is created outside this folder, nor through a link below it: the cache, or a --dir folder. */
  root?: string;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  /**
   * Longest silence from a host, before its answer or within a body, and the window a body must bring 1 KiB in;
   * defaults to settings.timeoutMs.
   */
  timeoutMs?: number;
  /** Refuse a file nothing published a digest for; defaults to settings.requireDigest. */
  requireDigest?: boolean;
  /** Largest file accepted when neither the registry nor the hub declared its size. */
  maxFileBytes?: number;
}

export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 ** 3;

/**
 * A host that stalled once is likely to stall again: one more attempt, not the policy's every retry, so a file
 * from a host that stalls from the start fails after about twice the timeout plus one backoff.
 */
const STALL_RETRIES = 1;
const stallError = (message: string) => new TransientError(message, { maxRetries: STALL_RETRIES });

/** A failure that more attempts will not mend (4xx, too many redirects, a refused answer). */
class PermanentError extends Error {}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** What fetch decodes by itself; any other Content-Encoding would leave encoded bytes in the file. */
const DECODED = new Set(["identity", "gzip", "x-gzip", "deflate", "br"]);

function fileUrl(settings: HubSettings, ref: ModelRef, path: string): string {
  const encoded = checkFilePath(path).split("/").map(encodeURIComponent).join("/");
  const revision = encodeURIComponent(checkRevision(ref.revision));
  return `${settings.endpoint}/${checkRepoId(ref.repo)}/resolve/${revision}/${encoded}`;
}

const unquote = (etag: string | null) => etag?.replace(/^W\//, "").replace(/"/g, "").trim().toLowerCase() || null;

function byteCount(header: string | null): number | undefined {
  if (header === null || !/^\d{1,15}$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

interface Expected {
  digest: string;
  by: Exclude<VerifiedBy, null>;
}

/** The digest a file must match: the registry's pin, else what the hub announced if it is a sha256 or git blob id. */
function expectedDigest(pinned: string | undefined, hubDigest: string | null): Expected | undefined {
  if (pinned) return { digest: pinned, by: "registry-sha256" };
  if (hubDigest && /^[0-9a-f]{64}$/.test(hubDigest)) return { digest: hubDigest, by: "hub-sha256" };
  if (hubDigest && /^[0-9a-f]{40}$/.test(hubDigest)) return { digest: hubDigest, by: "hub-git-blob" };
  return undefined;
}

interface HubResponse {
  response: Response;
  /** Headers of the hub's own answer (before any redirect to file storage): they carry the file's digest. */
  hubHeaders: Headers;
  /** The host that answered last (never with user info), for messages. */
  host: string;
}

function endpointOrigin(settings: HubSettings): string {
  let endpoint: URL;
  try {
    endpoint = new URL(settings.endpoint);
  } catch {
    throw new RerankError("INVALID_CONFIG", "HF_ENDPOINT is not a URL", { provider: "local" });
  }
  if (endpoint.username || endpoint.password) {
    throw new RerankError(
      "INVALID_CONFIG",
      "HF_ENDPOINT must not hold a user name or password: put a token in HF_TOKEN",
      { provider: "local" },
    );
  }
  if (endpoint.protocol !== "https:" && endpoint.protocol !== "http:") {
    throw new RerankError("INVALID_CONFIG", `HF_ENDPOINT must be an http(s) URL, not ${endpoint.protocol}`, {
      provider: "local",
    });
  }
  return endpoint.origin;
}

/**
 * GET with redirects followed by hand, so the token goes to the configured endpoint only and never to the
 * storage host a file redirects to.
 */
async function fetchFromHub(settings: HubSettings, url: string, stall: StallTimer): Promise<HubResponse> {
  const origin = endpointOrigin(settings);
  let current = new URL(url);
  let hubHeaders: Headers | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { "user-agent": "crossrank" };
    if (settings.token && current.origin === origin) headers.authorization = `Bearer ${settings.token}`;
    stall.arm(current.host, "a response");
    let response: Response;
    try {
      response = await fetch(current, { headers, redirect: "manual", signal: stall.signal });
    } catch (error) {
      if (stall.stalled) throw stallError(stall.stalled);
      if (stall.signal.aborted) throw error;
      const code = (error as { cause?: { code?: string } }).cause?.code;
      throw new TransientError(
        `network error from ${current.host}: ${(error as Error).message}${code ? ` (${code})` : ""}`,
      );
    }
    hubHeaders ??= response.headers;
    if (!REDIRECTS.has(response.status)) return { response, hubHeaders, host: current.host };
    await response.body?.cancel();
    const location = response.headers.get("location");
    if (!location)
      throw new TransientError(`redirect ${response.status} from ${current.host} without a Location header`);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new PermanentError(`${current.host} redirected to something that is not a URL`);
    }
    if (next.protocol !== "https:" && next.protocol !== "http:")
      throw new PermanentError(`${current.host} redirected to a ${next.protocol} URL, which crossrank does not follow`);
    if (next.username || next.password)
      throw new PermanentError(
        `${current.host} redirected to a URL with a user name or password, which crossrank does not follow`,
      );
    current = next;
  }
  throw new PermanentError(`more than ${MAX_REDIRECTS} redirects`);
}

function statusError(ref: ModelRef, path: string, response: Response): Error {
  const where = `${ref.repo}@${ref.revision}: ${path}`;
  const status = response.status;
  if (status === 429 || status >= 500) {
    return new TransientError(`HTTP ${status} for ${where}`, {
      status,
      retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
    });
  }
  const message =
    status === 401
      ? `HTTP 401 for ${where}: the repository is gated or private. ` +
        "Set HF_TOKEN to a Hugging Face token that has access"
      : status === 403
        ? `HTTP 403 for ${where}: the token in HF_TOKEN does not have access to this repository`
        : status === 404
          ? `HTTP 404 for ${where}: no such file, revision or repository`
          : `HTTP ${status} for ${where}`;
  return new PermanentError(message);
}

/**
 * Downloads one file into destDir: streamed to a fresh temporary file beside the destination (opened exclusively,
 * never through a link), checked against the declared size and the published digest, then renamed into place, so
 * the destination is either absent or complete and verified. Nothing is created before the hub answers with the
 * file. Concurrent downloads of the same file each write their own temporary file; the last rename wins with
 * identical bytes. Returns null for an optional file the repository does not have.
 */
export async function downloadFile(options: DownloadFileOptions): Promise<FileRecord | null> {
  const { settings, ref, file, destDir, signal } = options;
  // Settings made by hand skip hubSettings' check; a bad token must fail here, not inside fetch.
  checkToken(settings.token);
  const root = options.root ?? destDir;
  const retry = options.retry ?? DEFAULT_RETRY;
  const timeoutMs = options.timeoutMs ?? settings.timeoutMs ?? DEFAULT_HUB_TIMEOUT_MS;
  const requireDigest = options.requireDigest ?? settings.requireDigest ?? false;
  const dest = filePath(destDir, file.path);
  if (!isInside(root, dest))
    throw new RerankError("INVALID_CONFIG", `${dest} is outside ${root}`, { provider: "local" });
  const url = fileUrl(settings, ref, file.path);

  const attempt = async (): Promise<FileRecord | null> => {
    const stall = new StallTimer(timeoutMs, signal);
    try {
      return await attemptOnce(stall);
    } finally {
      stall.stop();
    }
  };

  const attemptOnce = async (stall: StallTimer): Promise<FileRecord | null> => {
    const { response, hubHeaders, host } = await fetchFromHub(settings, url, stall);
    if (response.status === 404 && file.optional) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw statusError(ref, file.path, response);
    }
    const encodings = (response.headers.get("content-encoding") ?? "identity")
      .toLowerCase()
      .split(",")
      .map((e) => e.trim());
    if (!encodings.every((e) => DECODED.has(e))) {
      await response.body.cancel();
      throw new PermanentError(
        `${host} sent ${file.path} with Content-Encoding ${shown(encodings.join(", "))}, which crossrank cannot decode`,
      );
    }
    // fetch hands over decoded bytes: a Content-Length counts them only when nothing was encoded.
    const plainLength = encodings.every((e) => e === "identity")
      ? byteCount(response.headers.get("content-length"))
      : undefined;
    const expectedSize = file.size ?? byteCount(hubHeaders.get("x-linked-size")) ?? plainLength;
    const hubDigest = unquote(hubHeaders.get("x-linked-etag") ?? hubHeaders.get("etag"));
    const expected = expectedDigest(file.sha256, hubDigest);
    if (!expected && requireDigest) {
      await response.body.cancel();
      throw new RerankError(
        "DOWNLOAD_FAILED",
        `${ref.repo}@${ref.revision}: ${file.path}: ${host} published no sha256 or git blob id for it ` +
          `(no X-Linked-Etag, ETag ${hubDigest ? shown(hubDigest) : "absent"}), and downloads must be verified ` +
          "(CROSSRANK_REQUIRE_DIGEST / requireDigest); it was not cached",
        { provider: "local" },
      );
    }
    const limit = expectedSize ?? options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;

    try {
      await makeDirBelow(root, dirname(dest));
    } catch (error) {
      await response.body.cancel();
      throw error;
    }
    const sha256 = createHash("sha256");
    let downloaded = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        downloaded += chunk.length;
        if (downloaded > limit) {
          const what =
            expectedSize === undefined
              ? `the ${limit}-byte limit for a file of undeclared size`
              : `its declared ${limit} bytes`;
          done(new PermanentError(`${host} sent more of ${file.path} than ${what}`));
          return;
        }
        stall.kick(chunk.length);
        sha256.update(chunk);
        options.onProgress?.({ file: file.path, downloaded, total: expectedSize });
        done(null, chunk);
      },
    });
    const temp = tempName(dest, "part");
    try {
      const handle = await createExclusive(temp).catch(async (error: unknown) => {
        await response.body!.cancel();
        throw error;
      });
      stall.arm(host, `the rest of ${file.path}`);
      try {
        await pipeline(
          Readable.fromWeb(response.body as import("node:stream/web").ReadableStream),
          meter,
          handle.createWriteStream(),
        );
      } catch (error) {
        await handle.close().catch(() => undefined);
        if (error instanceof PermanentError) throw error;
        if (stall.stalled) throw stallError(`${stall.stalled}, after ${downloaded} bytes`);
        if (signal?.aborted) throw error;
        throw new TransientError(
          `download of ${file.path} was interrupted after ${downloaded} bytes: ${(error as Error).message}`,
        );
      }
      stall.stop();
      if (expectedSize !== undefined && downloaded !== expectedSize) {
        throw new TransientError(`download of ${file.path} ended after ${downloaded} of ${expectedSize} bytes`);
      }
      const actual = sha256.digest("hex");
      if (expected) {
        const got = expected.by === "hub-git-blob" ? await gitBlobId(temp, downloaded) : actual;
        if (got !== expected.digest) {
          throw new RerankError(
            "CHECKSUM_MISMATCH",
            `${ref.repo}@${ref.revision}: ${file.path} does not match its published checksum ` +
              `(expected ${expected.digest}, got ${got}); it was not cached`,
            { provider: "local" },
          );
        }
      }
      await moveIntoPlace(root, temp, dest);
      const record: FileRecord = {
        path: file.path,
        size: downloaded,
        sha256: actual,
        hubDigest,
        verifiedBy: expected?.by ?? null,
        repo: ref.repo,
        revision: ref.revision,
        commit: hubHeaders.get("x-repo-commit"),
        downloadedAt: new Date().toISOString(),
      };
      await writeRecord(root, destDir, record);
      return record;
    } finally {
      await rm(temp, { force: true });
    }
  };

  try {
    return await withRetries(attempt, retry, signal);
  } catch (error) {
    throw withoutToken(failureOf(error), settings.token);
  }

  function failureOf(error: unknown): unknown {
    if (isRerankError(error)) return error;
    if (signal?.aborted)
      return new RerankError("ABORTED", `download of ${file.path} was aborted`, { provider: "local", cause: error });
    return new RerankError(
      "DOWNLOAD_FAILED",
      `could not download ${ref.repo}@${ref.revision}: ${file.path}: ${(error as Error).message}`,
      { provider: "local", cause: error },
    );
  }
}
