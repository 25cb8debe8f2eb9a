// node xcpu-tmp.mjs <onnx>: logits of 8 pairs × 96 tokens (deterministic ids), as JSON.
import ort from "onnxruntime-node";
const B = 8, S = 96;
const ids = BigInt64Array.from({ length: B * S }, (_, i) => BigInt(i % S === 0 ? 101 : 1000 + ((i * 7919 + Math.floor(i / S) * 104729) % 29000)));
const mask = BigInt64Array.from({ length: B * S }, (_, i) => (i % S < S - 8 * Math.floor(i / S) ? 1n : 0n));
const types = BigInt64Array.from({ length: B * S }, (_, i) => (i % S > 20 ? 1n : 0n));
const s = await ort.InferenceSession.create(process.argv[2], { graphOptimizationLevel: "all", intraOpNumThreads: 1 });
const out = await s.run({ input_ids: new ort.Tensor("int64", ids, [B, S]), attention_mask: new ort.Tensor("int64", mask, [B, S]), token_type_ids: new ort.Tensor("int64", types, [B, S]) });
console.log(JSON.stringify(Array.from(out.logits.data)));
