export { CrossEncoderReranker, DEFAULT_TOP_N, type CrossEncoderRerankerOptions } from "./cross-encoder-reranker.js";
