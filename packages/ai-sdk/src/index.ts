export { CrossrankRerankingModel } from "./reranking-model.js";
export { createCrossrank, crossrank, type CrossrankProvider, type CrossrankDefaults } from "./crossrank-provider.js";
export { documentText } from "./object-documents.js";
