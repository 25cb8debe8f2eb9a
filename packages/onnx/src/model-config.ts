import { RerankError } from "@crossrank/core";
import { checkField, isInteger, isObject, isPositiveInteger, isString, readJsonObject } from "./json-file.js";

export type Activation = "sigmoid" | "identity" | "tanh" | "softmax";

export interface ModelConfig {
  modelType: string;
  numLabels: number;
  /** For two-label heads: which logit means "relevant". */
  relevantLabel: number;
  /** The activation sentence-transformers would apply; see `scoreLogits` for how it maps into [0, 1]. */
  activation: Activation;
  /** Usable positions: RoBERTa-family models reserve padding_idx + 1 slots of max_position_embeddings. */
  maxPositions: number;
  padTokenId: number | undefined;
  /** Set on the random-weight models crossrank generates for its own tests. */
  fixtureNotice: string | undefined;
}

const RELEVANT_NAMES = /^(relevant|positive|yes|true|entailment|label_?1|1)$/i;

const ACTIVATIONS: Record<string, Activation> = {
  "torch.nn.modules.activation.Sigmoid": "sigmoid",
  "torch.nn.modules.linear.Identity": "identity",
  "torch.nn.modules.activation.Tanh": "tanh",
  "torch.nn.modules.activation.Softmax": "softmax",
};

export async function readModelConfig(path: string): Promise<ModelConfig> {
  const raw: Record<string, any> = await readJsonObject(path);
  checkField(path, raw, "num_labels", "a positive integer", isPositiveInteger);
  checkField(path, raw, "id2label", "an object of label names", isObject);
  checkField(path, raw, "max_position_embeddings", "a positive integer", isPositiveInteger);
  checkField(path, raw, "pad_token_id", "an integer", isInteger);
  checkField(path, raw, "model_type", "a string", isString);
  checkField(path, raw, "sentence_transformers", "an object", isObject);
  checkField(path, raw, "sbert_ce_default_activation_function", "a string", isString);
  if (raw.sentence_transformers) checkField(path, raw.sentence_transformers, "activation_fn", "a string", isString);
  const id2label: Record<string, string> | undefined = raw.id2label;
  const numLabels: number = raw.num_labels ?? (id2label ? Object.keys(id2label).length : 1);
  if (numLabels !== 1 && numLabels !== 2) {
    throw new RerankError(
      "MODEL_INVALID",
      `${path} declares ${numLabels} labels; a cross-encoder reranker has a one-label (relevance logit) or two-label (not relevant / relevant) head`,
      { provider: "local" },
    );
  }
  let relevantLabel = 0;
  if (numLabels === 2) {
    const named = Object.entries(id2label ?? {}).find(([, name]) => RELEVANT_NAMES.test(String(name).trim()));
    relevantLabel = named ? Number(named[0]) : 1;
  }
  const declared: string | undefined = raw.sentence_transformers?.activation_fn ?? raw.sbert_ce_default_activation_function;
  let activation: Activation = numLabels === 1 ? "sigmoid" : "softmax";
  if (declared != null) {
    const known = ACTIVATIONS[declared];
    if (!known) {
      throw new RerankError(
        "MODEL_INVALID",
        `${path} asks for activation "${declared}", which crossrank does not support (supported: ${Object.keys(ACTIVATIONS).join(", ")})`,
        { provider: "local" },
      );
    }
    activation = known;
  }
  const modelType = String(raw.model_type ?? "bert");
  const reserved = /roberta|camembert/.test(modelType) ? (raw.pad_token_id ?? 1) + 1 : 0;
  return {
    modelType,
    numLabels,
    relevantLabel,
    activation,
    maxPositions: (raw.max_position_embeddings ?? 512) - reserved,
    padTokenId: raw.pad_token_id,
    fixtureNotice: typeof raw._crossrank_fixture === "string" ? raw._crossrank_fixture : undefined,
  };
}
