import { stat } from "node:fs/promises";
import { InferencePool, type PoolSettings } from "./worker-pool.js";
import type { RunResult, Signature } from "./worker-thread.js";

export type { RunResult } from "./worker-thread.js";

/** A loaded model: its signature, and inference on its pool of worker threads. */
export interface InferenceSession extends Signature {
  run(feeds: Record<string, BigInt64Array>, dims: number[], output: string, signal?: AbortSignal): Promise<RunResult>;
  /** Reserves room for a call's pairs (OVERLOADED past the limit); the returned function gives it back. */
  admit(pairs: number): () => void;
}

interface Entry {
  pool: InferencePool;
  refs: number;
}

const pools = new Map<string, Entry>();

export interface SessionRequest extends PoolSettings {
  /** Changes whenever the model file does (see fileVersion): a replaced model gets a new pool. */
  version: string;
  /** This reranker's admission limit; rerankers sharing a pool each keep their own. */
  maxQueuedPairs: number;
}

const keyOf = (s: SessionRequest) => JSON.stringify([s.path, s.version, s.loadPath, s.threads, s.workers]);

/** Identifies a file's content without reading it: a write or a replacement changes its inode or its ctime. */
export async function fileVersion(path: string): Promise<string> {
  const info = await stat(path, { bigint: true });
  return [info.dev, info.ino, info.size, info.mtimeNs, info.ctimeNs].join(":");
}

/**
 * One pool per (model file as it is now, threads, workers), shared by every provider that uses it: a model's weights
 * are loaded once per worker however many rerankers an app creates. Released when the last user closes.
 */
export async function acquireSession(
  settings: SessionRequest,
): Promise<{ session: InferenceSession; release: () => Promise<void> }> {
  const key = keyOf(settings);
  let entry = pools.get(key);
  if (!entry) {
    const { path, loadPath, threads, workers } = settings;
    const pool = new InferencePool({ path, loadPath, threads, workers });
    entry = { pool, refs: 0 };
    pools.set(key, entry);
    pool.ready.catch(() => {
      if (pools.get(key)?.pool === pool) pools.delete(key);
      void pool.close();
    });
  }
  entry.refs++;
  const current = entry;
  let signature: Signature;
  try {
    signature = await current.pool.ready;
  } catch (error) {
    current.refs--;
    throw error;
  }
  let released = false;
  return {
    session: {
      ...signature,
      run: (feeds, dims, output, signal) => current.pool.run(feeds, dims, output, signal),
      admit: (pairs) => current.pool.admit(pairs, settings.maxQueuedPairs),
    },
    release: async () => {
      if (released) return;
      released = true;
      if (--current.refs === 0) {
        if (pools.get(key) === current) pools.delete(key);
        await current.pool.close();
      }
    },
  };
}

/** How many model pools are loaded now; for tests and diagnostics. */
export function loadedSessionCount(): number {
  return pools.size;
}

/** Ends every inference worker as a crash would (after its current batch); for tests and diagnostics. */
export async function crashInferenceWorkers(): Promise<number> {
  const counts = await Promise.all([...pools.values()].map((e) => e.pool.crashWorkers()));
  return counts.reduce((a, b) => a + b, 0);
}
