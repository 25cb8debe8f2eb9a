export { PASSAGES, QUERIES, type Passage } from "./corpus.js";
export { embedText, EMBEDDING_DIMENSIONS } from "./embedding.js";
export { demoReranker } from "./demo-reranker.js";
export { printComparison, type Ranked } from "./report.js";
