import { createReranker, type RerankProvider } from "@crossrank/core";
// Importing the provider package puts it in the server bundle and registers it: no Next.js config needed.
import "@crossrank/onnx";

/**
 * One reranker per server process, created on first use. The model comes from the environment: CROSSRANK_MODEL
 * (default ms-marco-MiniLM-L-6-v2), found in CROSSRANK_MODELS_DIR or crossrank's cache (see the README's
 * "Deploying" section for pre-fetching it at build time).
 */
let reranker: Promise<RerankProvider> | undefined;

export function getReranker(): Promise<RerankProvider> {
  reranker ??= createReranker({ provider: "local", model: process.env.CROSSRANK_MODEL ?? "ms-marco-MiniLM-L-6-v2" }).catch((error) => {
    reranker = undefined; // let the next request try again (e.g. after the model was pulled)
    throw error;
  });
  return reranker;
}
