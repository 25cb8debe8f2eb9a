export { CrossEncoderReranker, DEFAULT_TOP_N, type CrossEncoderRerankerOptions } from "./cross-encoder-reranker.js";
export { onRerankEvent, type RerankEvents, type RerankStartEvent, type RerankEndEvent } from "./rerank-events.js";
