import ort from "onnxruntime-node";
import onnxProto from "onnx-proto";
import { readFile, rm } from "node:fs/promises";
const count = (p) => { const c = {}; for (const n of p.graph.node) { const k = (n.domain ? n.domain.replace("com.microsoft", "ms") + ":" : "") + n.opType; c[k] = (c[k] ?? 0) + 1; } return c; };
for (const file of process.argv.slice(2)) {
  const opt = `/tmp/h4/opt-${Math.random().toString(36).slice(2)}.onnx`;
  for (const level of ["extended", "all"]) {
    const s = await ort.InferenceSession.create(file, { graphOptimizationLevel: level, optimizedModelFilePath: opt, intraOpNumThreads: 1 });
    await s.release();
    console.log(file.replace("/tmp/h4/", ""), level, JSON.stringify(count(onnxProto.onnx.ModelProto.decode(await readFile(opt)))));
    await rm(opt, { force: true });
  }
}
