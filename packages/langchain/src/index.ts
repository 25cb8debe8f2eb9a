export { CrossEncoderReranker, DEFAULT_TOP_N, type CrossEncoderRerankerFields } from "./cross-encoder-reranker.js";
