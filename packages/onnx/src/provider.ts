import {
  defineProvider,
  reportLocalWork,
  RerankError,
  type DocumentScore,
  type LocalRerankerConfig,
  type RerankProvider,
  type ResolvedLocalConfig,
} from "@crossrank/core";
import { mapModelWeights } from "./mapped-model.js";
import { prepareModel } from "./model-setup.js";
import { documentTokenLimit, pairsOf, queryTokenLimit } from "./pair-encoder.js";
import { PairScorer, untilAborted } from "./pair-scorer.js";
import { acquireSession, fileVersion, type InferenceSession } from "./session-cache.js";
import { defaultThreads, defaultWorkers } from "./threads.js";
import { TimeSlicer } from "./time-slicer.js";
import { CachedEncoder } from "./token-cache.js";

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
  const tokens = new CachedEncoder(tokenizer.sliced, config.tokenCache && config.tokenCacheBytes);
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
    async close() {
      tokens.clear();
      await release();
    },
  });

  /**
   * Tokenizes the call's documents in time slices and hands each window of pairs to the pool as soon as it is
   * laid out, so inference runs while the rest tokenizes. When each document makes one pair (truncation), the
   * call is admitted before tokenizing, for its distinct documents; in chunk mode, once its windows are counted.
   */
  async function scoreCall(query: string, documents: readonly string[], signal: AbortSignal | undefined): Promise<DocumentScore[]> {
    const slicer = new TimeSlicer(signal);
    const { template } = tokenizer;
    const run = scorer.start(config, signal);
    try {
      if (policy.longDocuments === "truncate") run.open(await countDistinct(documents, slicer));
      const queryIds = await tokens.encode(query, queryTokenLimit(template, policy), slicer);
      const documentLimit = documentTokenLimit(template, policy, queryIds.length);
      const seen = new Map<string, number[]>();
      const work = { pairs: 0, tokens: 0, truncated: 0, chunked: 0 };
      for (let d = 0; d < documents.length; d++) {
        const text = documents[d]!;
        let ids = seen.get(text);
        if (!ids) seen.set(text, (ids = await tokens.encode(text, documentLimit, slicer)));
        let windows = 0;
        for (const pair of pairsOf(template, queryIds, ids, d, policy)) {
          windows++;
          work.pairs++;
          work.tokens += pair.ids.length;
          if (pair.truncated) work.truncated++;
          run.add(pair);
          await slicer.step();
        }
        if (windows > 1) work.chunked++;
        run.throwIfFailed();
      }
      reportLocalWork(work);
      if (!warnedTruncation && work.truncated * 2 > documents.length) {
        warnedTruncation = true;
        process.emitWarning(
          `${work.truncated} of ${documents.length} documents were longer than ${name}'s window of ${policy.maxLength} tokens and only their start was scored; longDocuments: "chunk" scores every part`,
          { code: "CROSSRANK_TRUNCATED" },
        );
      }
      if (policy.longDocuments === "chunk") run.open(run.uniquePairs);
      const pairScores = await run.finish(slicer);
      const best: (DocumentScore | undefined)[] = new Array(documents.length);
      run.documents.forEach((document, i) => {
        const s = pairScores[i]!;
        const current = best[document];
        if (!current || s.score > current.score || (s.score === current.score && s.rawScore > current.rawScore)) best[document] = s;
      });
      return best as DocumentScore[];
    } finally {
      run.close();
    }
  }
}

/** How many distinct texts there are, counted in time slices (hashing a long text takes time). */
async function countDistinct(documents: readonly string[], slicer: TimeSlicer): Promise<number> {
  const distinct = new Set<string>();
  for (const text of documents) {
    distinct.add(text);
    await slicer.step();
  }
  return distinct.size;
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
