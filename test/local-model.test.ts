import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createReranker, type RerankProvider } from "@crossrank/core";
import { FIXTURE_WORDS, writeFixtureModel } from "@crossrank/model-fixtures";
import { loadedSessionCount } from "@crossrank/onnx/testing";
import { afterAll, describe, expect, it } from "vitest";
import { TINY } from "./setup/fixture-paths.js";
import { failure } from "./support/failure.js";

const temp: string[] = [];
afterAll(async () => Promise.all(temp.map((d) => rm(d, { recursive: true, force: true }))));

/** A copy of a fixture model with some files changed, for the error and config tests. */
async function variantOf(base: string, change: (dir: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "crossrank-model-"));
  temp.push(dir);
  await cp(base, dir, { recursive: true });
  await change(dir);
  return dir;
}

async function editJson(file: string, edit: (json: any) => void): Promise<void> {
  const json = JSON.parse(await readFile(file, "utf8"));
  edit(json);
  await writeFile(file, JSON.stringify(json));
}


const words = (from: number, n: number) => Array.from({ length: n }, (_, i) => FIXTURE_WORDS[(from + i) % FIXTURE_WORDS.length]).join(" ");
const QUERY = "which ocean has the largest whale";

async function withReranker<T>(config: Parameters<typeof createReranker>[0], run: (r: RerankProvider) => Promise<T>): Promise<T> {
  const r = await createReranker(config);
  try {
    return await run(r);
  } finally {
    await r.close?.();
  }
}

describe("local provider: scores do not depend on batching", () => {
  it("gives a document the same score alone, in a mixed-length batch and in any order (1e-5)", async () => {
    const docs = [words(0, 3), words(10, 40), words(50, 7), words(100, 25), words(7, 1), words(200, 55), words(30, 12)];
    // A tiny token budget forces several batches with padding inside each.
    await withReranker({ provider: "local", modelPath: TINY.bert, batchTokens: 96, maxBatchSize: 3 }, async (r) => {
      const together = await r.rerank(QUERY, docs);
      const shuffled = [3, 6, 0, 5, 1, 4, 2];
      const again = await r.rerank(QUERY, shuffled.map((i) => docs[i]!));
      for (let i = 0; i < docs.length; i++) {
        const [alone] = await r.rerank(QUERY, [docs[i]!]);
        const inBatch = together.find((x) => x.index === i)!;
        const inShuffled = again.find((x) => shuffled[x.index] === i)!;
        expect(Math.abs(alone!.rawScore - inBatch.rawScore)).toBeLessThan(1e-5);
        expect(Math.abs(alone!.rawScore - inShuffled.rawScore)).toBeLessThan(1e-5);
      }
    });
    // And the same with the default batching.
    await withReranker({ provider: "local", modelPath: TINY.bert }, async (r) => {
      const a = await r.rerank(QUERY, docs);
      const [alone] = await r.rerank(QUERY, [docs[5]!]);
      expect(Math.abs(a.find((x) => x.index === 5)!.rawScore - alone!.rawScore)).toBeLessThan(1e-5);
    });
  });
});

describe("local provider: truncation", () => {
  it("scores documents and queries far longer than the model's 64 positions", async () => {
    // The tiny model has 64 position embeddings: any sequence longer than that would fail inside ONNX Runtime.
    const longQuery = words(0, 200);
    const docs = [words(3, 500), words(40, 5), words(90, 120)];
    await withReranker({ provider: "local", modelPath: TINY.bert }, async (r) => {
      const results = await r.rerank(longQuery, docs);
      expect(results).toHaveLength(3);
      // The document still reaches the model after the query is cut: different documents, different scores.
      expect(new Set(results.map((x) => x.rawScore)).size).toBe(3);
    });
  });

  it("honours a maxLength below the model's limit: text past it does not change the score", async () => {
    const head = words(0, 10);
    await withReranker({ provider: "local", modelPath: TINY.bert, maxLength: 20 }, async (r) => {
      // 20 - 3 specials - 6 query tokens leaves 11 document tokens: both documents share their first 11 words.
      const [a, b] = await r.rerank(QUERY, [`${head} ${words(50, 1)} ${words(60, 30)}`, `${head} ${words(50, 1)} ${words(99, 4)}`]);
      expect(Math.abs(a!.rawScore - b!.rawScore)).toBeLessThan(1e-6);
    });
    await withReranker({ provider: "local", modelPath: TINY.bert, maxLength: 40 }, async (r) => {
      const results = await r.rerank(QUERY, [`${head} ${words(50, 1)} ${words(60, 30)}`, `${head} ${words(50, 1)} ${words(99, 4)}`]);
      expect(Math.abs(results[0]!.rawScore - results[1]!.rawScore)).toBeGreaterThan(1e-4);
    });
  });
});

describe("local provider: long documents in chunk mode", () => {
  it("scores a long document as its best window (MaxP)", async () => {
    // Every fixture word is one token, so windows of tokens are windows of words.
    const query = "whale ocean";
    const doc = words(0, 60);
    const maxLength = 25; // 25 - 3 specials - 2 query tokens = 20-token windows
    const overlap = 5;
    const windows: string[] = [];
    for (let start = 0; ; start += 20 - overlap) {
      windows.push(doc.split(" ").slice(start, start + 20).join(" "));
      if (start + 20 >= 60) break;
    }
    await withReranker({ provider: "local", modelPath: TINY.bert, maxLength, longDocuments: "chunk", chunkOverlap: overlap }, async (r) => {
      const [chunked] = await r.rerank(query, [doc]);
      const perWindow = await r.rerank(query, windows);
      expect(windows).toHaveLength(4);
      expect(Math.abs(chunked!.rawScore - perWindow[0]!.rawScore)).toBeLessThan(1e-5);
      const [truncated] = await r.rerank(query, [windows[0]!]);
      // The best window is not always the first one here, so chunking changes the score where it should.
      expect(perWindow[0]!.index === 0 || chunked!.rawScore > truncated!.rawScore).toBe(true);
    });
  });
});

describe("local provider: heads and activations", () => {
  it("two-label heads score the relevant label's probability, found by its name in id2label", async () => {
    const docs = [words(0, 5), words(20, 9), words(70, 3)];
    const swapped = await variantOf(TINY.twoLabel, (dir) =>
      editJson(join(dir, "config.json"), (c) => {
        c.id2label = { "0": "relevant", "1": "not_relevant" };
      }),
    );
    const unnamed = await variantOf(TINY.twoLabel, (dir) =>
      editJson(join(dir, "config.json"), (c) => {
        c.id2label = { "0": "LABEL_0", "1": "LABEL_1" };
      }),
    );
    const byIndex = async (modelPath: string) =>
      withReranker({ provider: "local", modelPath }, async (r) => (await r.rerank(QUERY, docs)).sort((a, b) => a.index - b.index));
    const normal = await byIndex(TINY.twoLabel);
    const flipped = await byIndex(swapped);
    const fallback = await byIndex(unnamed);
    normal.forEach((n, i) => {
      expect(n.score).toBeCloseTo(1 / (1 + Math.exp(-n.rawScore)), 12);
      expect(flipped[i]!.score).toBeCloseTo(1 - n.score, 6);
      expect(flipped[i]!.rawScore).toBeCloseTo(-n.rawScore, 5);
      expect(fallback[i]!.score).toBeCloseTo(n.score, 12);
    });
  });

  it("one-label heads use sigmoid by default and honour a declared Tanh activation", async () => {
    const tanh = await variantOf(TINY.bert, (dir) =>
      editJson(join(dir, "config.json"), (c) => {
        c.sentence_transformers = { activation_fn: "torch.nn.modules.activation.Tanh" };
      }),
    );
    const docs = [words(0, 5), words(20, 9)];
    const sig = await withReranker({ provider: "local", modelPath: TINY.bert }, (r) => r.rerank(QUERY, docs));
    const th = await withReranker({ provider: "local", modelPath: tanh }, (r) => r.rerank(QUERY, docs));
    for (const s of sig) expect(s.score).toBeCloseTo(1 / (1 + Math.exp(-s.rawScore)), 12);
    for (const t of th) expect(t.score).toBeCloseTo((Math.tanh(t.rawScore) + 1) / 2, 12);
  });

  it("feeds XLM-R models no token_type_ids and still scores", async () => {
    await withReranker({ provider: "local", modelPath: TINY.xlmr }, async (r) => {
      const results = await r.rerank(QUERY, [words(0, 5), words(20, 300)]);
      expect(results).toHaveLength(2);
      expect(results[0]!.rawScore).not.toBe(results[1]!.rawScore);
    });
  });
});

describe("local provider: sessions", () => {
  it("shares one ONNX Runtime session between rerankers of the same model and frees it on the last close", async () => {
    const before = loadedSessionCount();
    const a = await createReranker({ provider: "local", modelPath: TINY.bert, threads: 1 });
    const b = await createReranker({ provider: "local", modelPath: TINY.bert, threads: 1 });
    expect(loadedSessionCount()).toBe(before + 1);
    await a.close!();
    expect(loadedSessionCount()).toBe(before + 1);
    expect((await b.rerank(QUERY, ["whale"])).length).toBe(1);
    await b.close!();
    expect(loadedSessionCount()).toBe(before);
  });

  it("a reranker made after its model file was replaced in place (same size, mtime) runs the new model", async () => {
    const dir = await variantOf(TINY.bert, async () => undefined);
    const file = join(dir, "onnx/model.onnx");
    const stamp = new Date("2026-03-01T00:00:00Z");
    await utimes(file, stamp, stamp);
    const docs = ["the whale in the ocean", "a loaf of bread"];
    const before = await createReranker({ provider: "local", modelPath: dir });
    const oldScores = await before.rerank(QUERY, docs);
    // Other weights of the same shape: the same file length.
    const other = await mkdtemp(join(tmpdir(), "crossrank-model-"));
    temp.push(other);
    await writeFixtureModel({ shape: "tiny", variant: "bert", dtypes: ["fp32"], out: other, seed: 7 });
    const replacement = await readFile(join(other, "onnx/model.onnx"));
    expect(replacement.length).toBe((await stat(file)).size);
    await writeFile(file, replacement);
    await utimes(file, stamp, stamp);

    const after = await createReranker({ provider: "local", modelPath: dir });
    const newScores = await after.rerank(QUERY, docs);
    const fresh = await createReranker({ provider: "local", modelPath: other, model: "tiny-bert" });
    expect(newScores.map((r) => r.rawScore)).toEqual((await fresh.rerank(QUERY, docs)).map((r) => r.rawScore));
    expect(newScores.map((r) => r.rawScore)).not.toEqual(oldScores.map((r) => r.rawScore));
    // The reranker made before keeps the model it loaded.
    expect(await before.rerank(QUERY, docs)).toEqual(oldScores);
    await Promise.all([before.close!(), after.close!(), fresh.close!()]);
  });

  it("runs inference off the main thread, and lets a process that never calls close() exit", async () => {
    const script = `
      import { createReranker } from "@crossrank/core";
      const r = await createReranker({ provider: "local", modelPath: ${JSON.stringify(TINY.bert)} });
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      const docs = Array.from({ length: 4000 }, (_, i) => ("whale ocean sea water " + i + " ").repeat(1 + (i % 12)));
      const started = performance.now();
      await r.rerank("whale", docs);
      clearInterval(timer);
      console.log(JSON.stringify({ ticks, ms: performance.now() - started }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { timeout: 60_000 });
    const { ticks, ms } = JSON.parse(stdout) as { ticks: number; ms: number };
    // Timers keep firing while the model runs. A blocked loop would tick a handful of times in all; a free one
    // ticks about once a millisecond, so one tick per 20 ms is a wide margin on a busy machine.
    expect(ms).toBeGreaterThan(100);
    expect(ticks).toBeGreaterThan(Math.max(10, ms / 20));
  });

  it("works in a process started with Node flags that a worker thread refuses", async () => {
    const script = `
      import { createReranker } from "@crossrank/core";
      const r = await createReranker({ provider: "local", modelPath: ${JSON.stringify(TINY.bert)} });
      const results = await r.rerank("whale", ["a whale", "bread"]);
      await r.close();
      console.log(JSON.stringify(results.map((x) => x.index).sort()));
    `;
    // Both are per-process flags: passed on to a worker they fail with ERR_WORKER_INVALID_EXEC_ARGV.
    const { stdout } = await promisify(execFile)(process.execPath, ["--max-semi-space-size=4", "--expose-gc", "--input-type=module", "-e", script], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual([0, 1]);
  });

  it("stops at the next batch when aborted mid-rerank", async () => {
    await withReranker({ provider: "local", modelPath: TINY.bert, maxBatchSize: 1 }, async (r) => {
      const controller = new AbortController();
      const docs = Array.from({ length: 400 }, (_, i) => words(i, 30));
      const pending = r.rerank(QUERY, docs, { signal: controller.signal });
      setTimeout(() => controller.abort(), 5);
      const error = await failure(pending);
      expect(error.code).toBe("ABORTED");
    });
  });
});

describe("local provider: errors name the fix", () => {
  it("model folder missing", async () => {
    const e = await failure(createReranker({ provider: "local", modelPath: "/nonexistent/model" }));
    expect(e.code).toBe("MODEL_NOT_FOUND");
    expect(e.message).toContain("/nonexistent/model");
  });

  it("model name not found offline lists where it looked", async () => {
    const old = process.env.CROSSRANK_MODELS_DIR;
    process.env.CROSSRANK_MODELS_DIR = "/srv/models";
    try {
      const e = await failure(createReranker("local:ms-marco-MiniLM-L-6-v2"));
      expect(e.code).toBe("MODEL_NOT_FOUND");
      expect(e.message).toContain("/srv/models/ms-marco-MiniLM-L-6-v2");
      expect(e.message).toContain("npx @crossrank/cli models pull ms-marco-MiniLM-L-6-v2");
    } finally {
      if (old === undefined) delete process.env.CROSSRANK_MODELS_DIR;
      else process.env.CROSSRANK_MODELS_DIR = old;
    }
  });

  it("a required file missing lists what is expected", async () => {
    const dir = await variantOf(TINY.bert, (d) => rm(join(d, "tokenizer.json")));
    const e = await failure(createReranker({ provider: "local", modelPath: dir }));
    expect(e.code).toBe("MODEL_INVALID");
    expect(e.message).toMatch(/missing tokenizer\.json/);
    expect(e.message).toMatch(/Expected config\.json, tokenizer\.json/);
  });

  it("the ONNX file of the other dtype only: says which dtype to use", async () => {
    const dir = await variantOf(TINY.bert, (d) => rm(join(d, "onnx/model.onnx")));
    const e = await failure(createReranker({ provider: "local", modelPath: dir }));
    expect(e.message).toMatch(/missing onnx\/model\.onnx.*use dtype: "q8"/);
  });

  it("a corrupt ONNX file", async () => {
    const dir = await variantOf(TINY.bert, (d) => writeFile(join(d, "onnx/model.onnx"), "this is not a protobuf"));
    const e = await failure(createReranker({ provider: "local", modelPath: dir }));
    expect(e.code).toBe("MODEL_LOAD_FAILED");
    expect(e.message).toMatch(/corrupt/);
  });

  it("outputs whose shape disagrees with config.json", async () => {
    const dir = await variantOf(TINY.bert, (d) =>
      editJson(join(d, "config.json"), (c) => {
        c.id2label = { "0": "not_relevant", "1": "relevant" };
      }),
    );
    const r = await createReranker({ provider: "local", modelPath: dir });
    const e = await failure(r.rerank(QUERY, ["whale"]));
    await r.close!();
    expect(e.code).toBe("MODEL_INVALID");
    expect(e.message).toMatch(/shape \[1, 1\].*expected float32 \[1, 2\]/);
  });

  it("a head with more than two labels", async () => {
    const dir = await variantOf(TINY.bert, (d) =>
      editJson(join(d, "config.json"), (c) => {
        c.id2label = { "0": "a", "1": "b", "2": "c" };
      }),
    );
    const e = await failure(createReranker({ provider: "local", modelPath: dir }));
    expect(e.message).toMatch(/3 labels/);
  });

  it("a tokenizer without a pair template", async () => {
    const dir = await variantOf(TINY.bert, (d) =>
      editJson(join(d, "tokenizer.json"), (t) => {
        t.post_processor = null;
      }),
    );
    const e = await failure(createReranker({ provider: "local", modelPath: dir }));
    expect(e.code).toBe("MODEL_INVALID");
    expect(e.message).toMatch(/no pair template/);
  });

  it("an unsupported activation", async () => {
    const dir = await variantOf(TINY.bert, (d) =>
      editJson(join(d, "config.json"), (c) => {
        c.sentence_transformers = { activation_fn: "torch.nn.modules.activation.ReLU" };
      }),
    );
    const e = await failure(createReranker({ provider: "local", modelPath: dir }));
    expect(e.message).toMatch(/ReLU/);
  });

  it.each([
    ["config.json", "null"],
    ["config.json", "[]"],
    ["config.json", '"x"'],
    ["config.json", "5"],
    ["tokenizer.json", "null"],
    ["tokenizer.json", "[1, 2]"],
    ["tokenizer_config.json", "null"],
    ["tokenizer_config.json", "true"],
  ])("%s holding %s: MODEL_INVALID naming the file", async (name, content) => {
    const dir = await variantOf(TINY.bert, (d) => writeFile(join(d, name), content));
    const e = await failure(createReranker({ provider: "local", modelPath: dir }));
    expect(e.code).toBe("MODEL_INVALID");
    expect(e.message).toContain(join(dir, name));
    expect(e.message).toMatch(/must hold a JSON object/);
  });

  it.each([
    ["max_position_embeddings", "512"],
    ["id2label", ["relevant"]],
    ["num_labels", 1.5],
    ["pad_token_id", "0"],
  ])("config.json with %s of the wrong type: MODEL_INVALID naming the field", async (field, value) => {
    const dir = await variantOf(TINY.bert, (d) => editJson(join(d, "config.json"), (c) => (c[field] = value)));
    const e = await failure(createReranker({ provider: "local", modelPath: dir }));
    expect(e.code).toBe("MODEL_INVALID");
    expect(e.message).toContain(`"${field}"`);
    expect(e.message).toContain("config.json");
  });

  it("a maxLength too small to hold a pair", async () => {
    const e = await failure(createReranker({ provider: "local", modelPath: TINY.bert, maxLength: 3 }));
    expect(e.code).toBe("INVALID_CONFIG");
    expect(e.message).toMatch(/maxLength/);
  });
});
