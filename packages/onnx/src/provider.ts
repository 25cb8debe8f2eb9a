import {
  defineProvider,
  reportBatch,
  reportLocalWork,
  RerankError,
  throwIfAborted,
  type DocumentScore,
  type LocalRerankerConfig,
  type RerankProvider,
  type ResolvedLocalConfig,
} from "@crossrank/core";
import { PairDeduper, padBatch, planBatches } from "./batching.js";
import { mapModelWeights } from "./mapped-model.js";
import type { ModelConfig } from "./model-config.js";
import { encodeAll, prepareModel } from "./model-setup.js";
import type { EncodedPair } from "./pair-encoder.js";
import { scoreLogits } from "./scoring.js";
import { acquireSession, fileVersion, type InferenceSession } from "./session-cache.js";
import { defaultThreads, defaultWorkers } from "./threads.js";
import { TimeSlicer } from "./time-slicer.js";

const P = "local";
const SUPPORTED_INPUTS = new Set(["input_ids", "attention_mask", "token_type_ids"]);

const warnedFixtures = new Set<string>();
const warnedUnmapped = new Set<string>();

/** The mappable copy of a model, or the model itself (with a one-time warning) when the copy cannot be made. */
async function mappableOrOriginal(onnxPath: string): Promise<string> {
  try {
    return await mapModelWeights(onnxPath);
  } catch (error) {
    if (!warnedUnmapped.has(onnxPath)) {
      warnedUnmapped.add(onnxPath);
      process.emitWarning(
        `${onnxPath}: could not make the copy with mappable weights (${(error as Error).message}); loading the weights into memory instead, which takes about twice the model's size while loading. Point CROSSRANK_CACHE_DIR at a writable folder, or set mapWeights: false to load this way without this warning`,
        { code: "CROSSRANK_WEIGHTS_NOT_MAPPED" },
      );
    }
    return onnxPath;
  }
}

/** The "local" provider: a cross-encoder in the Hugging Face ONNX layout, run by onnxruntime-node. */
export async function createProvider(input: LocalRerankerConfig | ResolvedLocalConfig): Promise<RerankProvider> {
  const { config, dir, name, files, modelConfig, tokenizer, policy, padId } = await prepareModel(input);
  const workers = config.workers ?? defaultWorkers();
  const { session, release } = await acquireSession({
    path: files.onnx,
    version: await fileVersion(files.onnx),
    loadPath: config.mapWeights ? await mappableOrOriginal(files.onnx) : files.onnx,
    threads: config.threads ?? defaultThreads(workers),
    workers,
    maxQueuedPairs: config.maxQueuedPairs,
  });
  try {
    checkSessionSignature(session, files.onnx);
  } catch (error) {
    await release();
    throw error;
  }
  if (modelConfig.fixtureNotice && !warnedFixtures.has(dir)) {
    warnedFixtures.add(dir);
    process.emitWarning(`${dir}: ${modelConfig.fixtureNotice}`, { code: "CROSSRANK_FIXTURE_MODEL" });
  }
  const scorer = new PairScorer(session, modelConfig, padId, files.onnx, name);
  let warnedTruncation = false;

  return defineProvider({
    provider: P,
    model: name,
    async score(query, documents, { signal: callerSignal }) {
      const timeout = config.timeoutMs === undefined ? undefined : AbortSignal.timeout(config.timeoutMs);
      const signal = timeout ? (callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout) : callerSignal;
      try {
        // Raced against the signal: the call rejects when its timeout or abort fires, even mid-tokenization.
        return await untilAborted(scoreCall(query, documents, signal), signal);
      } catch (error) {
        if (timeout?.aborted && !callerSignal?.aborted) {
          throw new RerankError("PROVIDER_ERROR", `local (${name}): no result within ${config.timeoutMs} ms (timeoutMs); the call's queued batches were dropped`, { provider: P });
        }
        throw error;
      }
    },
    close: release,
  });

  async function scoreCall(query: string, documents: readonly string[], signal: AbortSignal | undefined): Promise<DocumentScore[]> {
    const pairs = await encodeAll(tokenizer, policy, query, documents, signal);
    const work = describeWork(pairs, documents.length);
    reportLocalWork(work);
    if (!warnedTruncation && work.truncated * 2 > documents.length) {
      warnedTruncation = true;
      process.emitWarning(
        `${work.truncated} of ${documents.length} documents were longer than ${name}'s window of ${policy.maxLength} tokens and only their start was scored; longDocuments: "chunk" scores every part`,
        { code: "CROSSRANK_TRUNCATED" },
      );
    }
    const pairScores = await scorer.scoreAll(pairs, config, signal);
    const best: (DocumentScore | undefined)[] = new Array(documents.length);
    pairs.forEach((pair, i) => {
      const s = pairScores[i]!;
      const current = best[pair.document];
      if (!current || s.score > current.score || (s.score === current.score && s.rawScore > current.rawScore)) best[pair.document] = s;
    });
    return best as DocumentScore[];
  }
}

function checkSessionSignature(session: InferenceSession, file: string): void {
  const unsupported = session.inputNames.filter((n) => !SUPPORTED_INPUTS.has(n));
  if (unsupported.length || !session.inputNames.includes("input_ids") || !session.inputNames.includes("attention_mask")) {
    throw new RerankError(
      "MODEL_INVALID",
      `${file} takes inputs [${session.inputNames.join(", ")}]; a cross-encoder export takes input_ids, attention_mask and optionally token_type_ids`,
      { provider: P },
    );
  }
  if (!session.outputNames.includes("logits") && session.outputNames.length !== 1) {
    throw new RerankError("MODEL_INVALID", `${file} has outputs [${session.outputNames.join(", ")}] and none named "logits"`, { provider: P });
  }
}

/** Resolves with the work, or rejects with ABORTED as soon as the signal fires (the work runs on, unheard). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      try {
        throwIfAborted(signal, P);
      } catch (error) {
        reject(error);
      }
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** A call's work, for telemetry: pairs and tokens run, documents cut to fit and split into windows. */
function describeWork(pairs: EncodedPair[], documents: number): { pairs: number; tokens: number; truncated: number; chunked: number } {
  const perDocument = new Array<number>(documents).fill(0);
  let tokens = 0;
  let truncated = 0;
  for (const p of pairs) {
    perDocument[p.document]!++;
    tokens += p.ids.length;
    if (p.truncated) truncated++;
  }
  return { pairs: pairs.length, tokens, truncated, chunked: perDocument.filter((n) => n > 1).length };
}

/** Runs pairs through the session in length-sorted batches; identical pairs are scored once. */
class PairScorer {
  private readonly output: string;
  private readonly wantsTokenTypes: boolean;

  constructor(
    private readonly session: InferenceSession,
    private readonly model: ModelConfig,
    private readonly padId: number,
    private readonly file: string,
    private readonly name: string,
  ) {
    this.output = session.outputNames.includes("logits") ? "logits" : session.outputNames[0]!;
    this.wantsTokenTypes = session.inputNames.includes("token_type_ids");
  }

  /**
   * Every batch of the call goes to the pool as soon as it is padded (pipelined: the workers never wait for this
   * thread between batches); the call's pairs are admitted first, and the first failure drops the call's other
   * queued batches. Deduplication and padding run in time slices, like tokenization.
   */
  async scoreAll(
    pairs: EncodedPair[],
    limits: ResolvedLocalConfig,
    signal: AbortSignal | undefined,
  ): Promise<DocumentScore[]> {
    const slicer = new TimeSlicer(signal);
    const deduper = new PairDeduper();
    for (const pair of pairs) {
      deduper.add(pair);
      await slicer.step();
    }
    const { unique, slot } = deduper;
    const scores: DocumentScore[] = new Array(unique.length);
    throwIfAborted(signal, P);
    const release = this.session.admit(unique.length);
    const failed = new AbortController();
    const batchSignal = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal;
    let fail: (error: unknown) => void = () => undefined;
    const firstFailure = new Promise<never>((_, reject) => (fail = reject));
    firstFailure.catch(() => undefined);
    const onFailure = (error: unknown) => {
      failed.abort();
      fail(error);
    };
    try {
      const runs: Promise<void>[] = [];
      for (const rows of planBatches(unique, limits)) {
        if (failed.signal.aborted) break;
        runs.push(this.runBatch(unique, rows, scores, batchSignal).catch(onFailure));
        await slicer.step();
      }
      await untilAborted(Promise.race([Promise.all(runs), firstFailure]), signal);
    } catch (error) {
      failed.abort();
      throw error;
    } finally {
      release();
    }
    return slot.map((u) => scores[u]!);
  }

  private async runBatch(
    unique: EncodedPair[],
    rows: number[],
    scores: DocumentScore[],
    signal: AbortSignal,
  ): Promise<void> {
    const { width, inputIds, attentionMask, tokenTypeIds } = padBatch(unique, rows, this.padId);
    const feeds: Record<string, BigInt64Array> = { input_ids: inputIds, attention_mask: attentionMask };
    if (this.wantsTokenTypes) feeds.token_type_ids = tokenTypeIds;
    const logits = await this.session.run(feeds, [rows.length, width], this.output, signal);
    reportBatch({
      provider: P,
      model: this.name,
      pairs: rows.length,
      tokens: rows.reduce((sum, u) => sum + unique[u]!.ids.length, 0),
      paddedTokens: rows.length * width,
      // The run itself: a call's batches queue ahead of the workers, so wall time since queueing includes waiting.
      durationMs: logits.runMs,
    });
    const labels = this.model.numLabels;
    const { dtype, dims } = logits;
    if (dtype !== "float32" || dims.length !== 2 || dims[0] !== rows.length || dims[1] !== labels) {
      throw new RerankError(
        "MODEL_INVALID",
        `${this.file} returned ${this.output} of type ${dtype} and shape [${dims.join(", ")}]; expected float32 ` +
          `[${rows.length}, ${labels}] (config.json declares ${labels} label${labels === 1 ? "" : "s"})`,
        { provider: P },
      );
    }
    const data = logits.data;
    rows.forEach((u, row) => (scores[u] = scoreLogits(data, row, this.model)));
  }
}
