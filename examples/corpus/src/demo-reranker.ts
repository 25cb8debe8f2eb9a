import { configFromEnv, createReranker, DEFAULT_LOCAL_MODEL, type RerankerConfig, type RerankProvider } from "@crossrank/core";

/**
 * The examples' reranker: CROSSRANK_PROVIDER when set (e.g. "cohere:rerank-v3.5" with COHERE_API_KEY), else the
 * local default model, with the lexical baseline as fallback. The demo stays offline unless CROSSRANK_OFFLINE=0,
 * so it answers in seconds on a machine without the model.
 */
/** `pnpm demo` runs five examples in one process: each notice is said once, not once per example. */
const said = new Set<string>();

export async function demoReranker(log: (line: string) => void = console.log): Promise<RerankProvider> {
  if (!process.env.CROSSRANK_OFFLINE) process.env.CROSSRANK_OFFLINE = "1";
  const primary = (process.env.CROSSRANK_PROVIDER ? configFromEnv() : { provider: "local", model: DEFAULT_LOCAL_MODEL }) as RerankerConfig;
  return createReranker({ ...primary, fallback: ["lexical"] } as RerankerConfig, {
    onFallback: ({ failed, error }) => {
      const why = error.code === "MODEL_NOT_FOUND" ? "not available offline" : `${error.code}: ${error.message.split(". ")[0]}`;
      const fix = error.code === "MODEL_NOT_FOUND" ? ` (fetch it with: pnpm crossrank models pull ${DEFAULT_LOCAL_MODEL})` : "";
      // The examples' first stage is a vector search, so a lexical signal adds something; behind BM25 the
      // "passthrough" provider (keep the input order) would be the right last resort instead.
      const notice = `notice: ${failed} ${why}${fix}; using the lexical BM25 baseline instead (behind this vector first stage), which is not a cross-encoder.`;
      if (said.has(notice)) return;
      said.add(notice);
      log(notice);
    },
  });
}
