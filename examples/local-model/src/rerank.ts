/**
 * Second stage of a two-stage retrieval: a first stage (BM25, vectors) found these candidates; a cross-encoder
 * reads the query with each one and puts the best first.
 *
 *   pnpm --filter @crossrank/example-local-model start /path/to/cross-encoder
 *
 * The folder is a Hugging Face ONNX export such as Xenova/ms-marco-MiniLM-L-6-v2 (config.json, tokenizer.json,
 * onnx/model.onnx).
 */
import { createReranker } from "@crossrank/core";

const modelPath = process.argv[2] ?? process.env.CROSSRANK_MODEL_PATH;
if (!modelPath) {
  console.error("usage: rerank.ts <model folder>   (or set CROSSRANK_MODEL_PATH)");
  process.exit(2);
}

const query = "how do whales breathe";
const candidates = [
  "Whales are mammals: they surface to breathe air through a blowhole on the top of the head.",
  "The blue whale is the largest animal known to have lived.",
  "Fish take oxygen from water with their gills.",
  "A breathing exercise: inhale for four counts, hold, exhale for four counts.",
  "Humpback whales migrate thousands of kilometres each year.",
];

const reranker = await createReranker({ provider: "local", modelPath });
try {
  const results = await reranker.rerank(query, candidates, { topN: 3 });
  console.log(`query: ${query}  (${reranker.provider}:${reranker.model})`);
  for (const { index, score } of results) console.log(`${score.toFixed(4)}  [${index}] ${candidates[index]}`);
} finally {
  await reranker.close?.();
}
