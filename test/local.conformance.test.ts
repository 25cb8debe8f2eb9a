import { createReranker } from "@crossrank/core";
import { describeConformance } from "./conformance/suite.js";
import { TINY } from "./setup/fixture-paths.js";

describeConformance({ name: "local (BERT, fp32)", create: () => createReranker({ provider: "local", modelPath: TINY.bert }) });
describeConformance({ name: "local (XLM-R inputs, fp32)", create: () => createReranker({ provider: "local", modelPath: TINY.xlmr }) });
describeConformance({ name: "local (two-label head)", create: () => createReranker({ provider: "local", modelPath: TINY.twoLabel }) });
describeConformance({
  name: "local (BERT, q8, chunked long documents)",
  create: () => createReranker({ provider: "local", modelPath: TINY.bert, dtype: "q8", longDocuments: "chunk", maxLength: 24 }),
  // Dynamic quantization picks one activation scale per batch, so a q8 score moves slightly with its batch mates.
  scoreTolerance: 0.05,
});
