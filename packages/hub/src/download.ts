import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isRerankError, parseRetryAfter, RerankError, TransientError, withRetries, type RetryPolicy } from "@crossrank/core";
import { writeRecord, type FileRecord } from "./cache.js";
import type { ModelRef } from "./registry.js";
import type { HubSettings } from "./settings.js";

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
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  retry?: RetryPolicy;
}

/** A failure that more attempts will not mend (4xx, too many redirects). */
class PermanentError extends Error {}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
function fileUrl(settings: HubSettings, ref: ModelRef, path: string): string {
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  return `${settings.endpoint}/${ref.repo}/resolve/${encodeURIComponent(ref.revision)}/${encoded}`;
}

const unquote = (etag: string | null) => etag?.replace(/^W\//, "").replace(/"/g, "").trim().toLowerCase() || null;

interface HubResponse {
  response: Response;
  /** Headers of the hub's own answer (before any redirect to file storage): they carry the file's digest. */
  hubHeaders: Headers;
}

/**
 * GET with redirects followed by hand, so the token goes to the configured endpoint only and never to the
 * storage host a file redirects to.
 */
async function fetchFromHub(settings: HubSettings, url: string, signal: AbortSignal | undefined): Promise<HubResponse> {
  const endpointOrigin = new URL(settings.endpoint).origin;
  let current = url;
  let hubHeaders: Headers | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { "user-agent": "crossrank" };
    if (settings.token && new URL(current).origin === endpointOrigin) headers.authorization = `Bearer ${settings.token}`;
    let response: Response;
    try {
      response = await fetch(current, { headers, redirect: "manual", signal });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new TransientError(`network error: ${(error as Error).message}`);
    }
    hubHeaders ??= response.headers;
    if (!REDIRECTS.has(response.status)) return { response, hubHeaders };
    await response.body?.cancel();
    const location = response.headers.get("location");
    if (!location) throw new TransientError(`redirect ${response.status} without a Location header`);
    current = new URL(location, current).href;
  }
  throw new PermanentError(`more than ${MAX_REDIRECTS} redirects`);
}

function statusError(ref: ModelRef, path: string, response: Response): Error {
  const where = `${ref.repo}@${ref.revision}: ${path}`;
  const status = response.status;
  if (status === 429 || status >= 500) {
    return new TransientError(`HTTP ${status} for ${where}`, { status, retryAfterMs: parseRetryAfter(response.headers.get("retry-after")) });
  }
  const message =
    status === 401
      ? `HTTP 401 for ${where}: the repository is gated or private. Set HF_TOKEN to a Hugging Face token that has access`
      : status === 403
        ? `HTTP 403 for ${where}: the token in HF_TOKEN does not have access to this repository`
        : status === 404
          ? `HTTP 404 for ${where}: no such file, revision or repository`
          : `HTTP ${status} for ${where}`;
  return new PermanentError(message);
}

/**
 * Downloads one file into destDir: streamed to a temporary file beside the destination, checked against the
 * published size and digest, then renamed into place, so the destination is either absent or complete and
 * verified. Concurrent downloads of the same file each write their own temporary file; the last rename wins
 * with identical bytes. Returns null for an optional file the repository does not have.
 */
export async function downloadFile(options: DownloadFileOptions): Promise<FileRecord | null> {
  const { settings, ref, file, destDir, signal } = options;
  const retry = options.retry ?? DEFAULT_RETRY;
  const dest = join(destDir, file.path);
  await mkdir(dirname(dest), { recursive: true });
  const url = fileUrl(settings, ref, file.path);

  const attempt = async (): Promise<FileRecord | null> => {
    const { response, hubHeaders } = await fetchFromHub(settings, url, signal);
    if (response.status === 404 && file.optional) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw statusError(ref, file.path, response);
    }
    const announcedSize = Number(hubHeaders.get("x-linked-size") ?? response.headers.get("content-length") ?? Number.NaN);
    const expectedSize = file.size ?? (Number.isFinite(announcedSize) ? announcedSize : undefined);
    const hubDigest = unquote(hubHeaders.get("x-linked-etag") ?? hubHeaders.get("etag"));

    const sha256 = createHash("sha256");
    // Files stored in git (not LFS) are announced by their git blob id: sha1("blob <size>\0" + content).
    const gitSha1 = createHash("sha1");
    if (expectedSize !== undefined) gitSha1.update(`blob ${expectedSize}\0`);
    let downloaded = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        downloaded += chunk.length;
        sha256.update(chunk);
        gitSha1.update(chunk);
        options.onProgress?.({ file: file.path, downloaded, total: expectedSize });
        done(null, chunk);
      },
    });
    const temp = `${dest}.${process.pid}.${randomBytes(4).toString("hex")}.part`;
    try {
      try {
        await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), meter, createWriteStream(temp));
      } catch (error) {
        if (signal?.aborted) throw error;
        throw new TransientError(`download of ${file.path} was interrupted after ${downloaded} bytes: ${(error as Error).message}`);
      }
      if (expectedSize !== undefined && downloaded !== expectedSize) {
        throw new TransientError(`download of ${file.path} ended after ${downloaded} of ${expectedSize} bytes`);
      }
      const actual = sha256.digest("hex");
      const actualGit = gitSha1.digest("hex");
      const expected = file.sha256 ?? hubDigest;
      const matches = expected === null || (expected.length === 64 ? expected === actual : expected.length === 40 ? expected === actualGit : true);
      if (!matches) {
        throw new RerankError(
          "CHECKSUM_MISMATCH",
          `${ref.repo}@${ref.revision}: ${file.path} does not match its published checksum (expected ${expected}, got ${expected!.length === 64 ? actual : actualGit}); it was not cached`,
          { provider: "local" },
        );
      }
      await rename(temp, dest);
      const record: FileRecord = {
        path: file.path,
        size: downloaded,
        sha256: actual,
        hubDigest,
        repo: ref.repo,
        revision: ref.revision,
        commit: hubHeaders.get("x-repo-commit"),
        downloadedAt: new Date().toISOString(),
      };
      await writeRecord(destDir, record);
      return record;
    } finally {
      await rm(temp, { force: true });
    }
  };

  try {
    return await withRetries(attempt, retry, signal);
  } catch (error) {
    if (isRerankError(error)) throw error;
    if (signal?.aborted) throw new RerankError("ABORTED", `download of ${file.path} was aborted`, { provider: "local", cause: error });
    throw new RerankError("DOWNLOAD_FAILED", `could not download ${ref.repo}@${ref.revision}: ${file.path}: ${(error as Error).message}`, {
      provider: "local",
      cause: error,
    });
  }
}
