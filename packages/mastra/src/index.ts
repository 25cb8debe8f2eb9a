export { CrossEncoderRelevanceScorer, type CrossEncoderRelevanceScorerOptions } from "./cross-encoder-relevance-scorer.js";
