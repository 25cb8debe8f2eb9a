import { RerankError } from "@crossrank/core";
import type { InferenceSession } from "onnxruntime-node";

interface Entry {
  session: Promise<InferenceSession>;
  refs: number;
}

const sessions = new Map<string, Entry>();

export interface SessionSettings {
  path: string;
  threads: number | undefined;
}

function keyOf(s: SessionSettings): string {
  return JSON.stringify([s.path, s.threads ?? 0]);
}

/**
 * One ONNX Runtime session per (model file, threads), shared by every provider that uses it: a model's weights
 * are loaded once however many rerankers an app creates. Released when the last user closes.
 */
export async function acquireSession(settings: SessionSettings): Promise<{ session: InferenceSession; release: () => Promise<void> }> {
  const key = keyOf(settings);
  let entry = sessions.get(key);
  if (!entry) {
    entry = { session: createSession(settings), refs: 0 };
    sessions.set(key, entry);
    entry.session.catch(() => sessions.delete(key));
  }
  entry.refs++;
  const current = entry;
  let session: InferenceSession;
  try {
    session = await current.session;
  } catch (error) {
    current.refs--;
    throw error;
  }
  let released = false;
  return {
    session,
    release: async () => {
      if (released) return;
      released = true;
      if (--current.refs === 0) {
        sessions.delete(key);
        await session.release();
      }
    },
  };
}

/** How many sessions are loaded now; for tests and diagnostics. */
export function loadedSessionCount(): number {
  return sessions.size;
}

async function createSession({ path, threads }: SessionSettings): Promise<InferenceSession> {
  const ort = await import("onnxruntime-node");
  try {
    return await ort.InferenceSession.create(path, {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      executionMode: "sequential",
      interOpNumThreads: 1,
      ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
    });
  } catch (error) {
    throw new RerankError(
      "MODEL_LOAD_FAILED",
      `ONNX Runtime could not load ${path}: ${(error as Error).message}. The file may be truncated or corrupt (re-download or re-export it)`,
      { provider: "local", cause: error },
    );
  }
}
