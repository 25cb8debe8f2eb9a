// node one-tmp.mjs <onnx> : logits of one unpadded 96-token pair (row 0 of xcpu-tmp's batch).
import ort from "onnxruntime-node";
const S = 96;
const ids = BigInt64Array.from({ length: S }, (_, i) => BigInt(i === 0 ? 101 : 1000 + ((i * 7919) % 29000)));
const types = BigInt64Array.from({ length: S }, (_, i) => (i > 20 ? 1n : 0n));
const s = await ort.InferenceSession.create(process.argv[2], { graphOptimizationLevel: "all", intraOpNumThreads: 1 });
const out = await s.run({ input_ids: new ort.Tensor("int64", ids, [1, S]), attention_mask: new ort.Tensor("int64", new BigInt64Array(S).fill(1n), [1, S]), token_type_ids: new ort.Tensor("int64", types, [1, S]) });
console.log(JSON.stringify(Array.from(out.logits.data)));
