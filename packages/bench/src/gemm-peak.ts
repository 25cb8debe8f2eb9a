import { buildGemmModel, type GemmShape } from "@crossrank/model-fixtures";
import { defaultThreads } from "@crossrank/onnx";
import ort from "onnxruntime-node";

export interface MeasuredPeak {
  fp32Gflops: number;
  int8Gops: number;
  shape: GemmShape;
  /** intra-op threads: the local provider's default unless the bench was given --threads. */
  threads: number;
  how: string;
}

export const PEAK_SHAPE: GemmShape = { m: 1024, k: 1024, n: 4096 };

/** The best of `reps` timed runs after two warm-ups, in G(FL)OP/s, counting 2·m·k·n operations a run. */
async function bestRate(dtype: "fp32" | "q8", shape: GemmShape, threads: number, reps: number): Promise<number> {
  const session = await ort.InferenceSession.create(buildGemmModel(shape, dtype), {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    interOpNumThreads: 1,
    intraOpNumThreads: threads,
  });
  try {
    const a = Float32Array.from({ length: shape.m * shape.k }, (_, i) => Math.sin(i) * 0.5);
    const feeds = { A: new ort.Tensor("float32", a, [shape.m, shape.k]) };
    for (let i = 0; i < 2; i++) await session.run(feeds);
    let best = Infinity;
    for (let i = 0; i < reps; i++) {
      const started = performance.now();
      await session.run(feeds);
      best = Math.min(best, performance.now() - started);
    }
    return (2 * shape.m * shape.k * shape.n) / 1e9 / (best / 1000);
  } finally {
    await session.release();
  }
}

/**
 * The machine's matrix-multiply peak as ONNX Runtime reaches it, measured rather than computed: a large fp32
 * MatMul and the int8 DynamicQuantizeLinear + MatMulInteger path, at the thread count the bench's configurations
 * use. A configuration's share of this peak is comparable across CPUs whose clocks and vector units differ.
 */
export async function measureGemmPeak(options: { threads?: number; reps?: number; shape?: GemmShape } = {}): Promise<MeasuredPeak> {
  const shape = options.shape ?? PEAK_SHAPE;
  const reps = options.reps ?? 10;
  const threads = options.threads ?? defaultThreads();
  const fp32Gflops = await bestRate("fp32", shape, threads, reps);
  const int8Gops = await bestRate("q8", shape, threads, reps);
  return {
    fp32Gflops,
    int8Gops,
    shape,
    threads,
    how: `best of ${reps} runs of a ${shape.m}×${shape.k}·${shape.k}×${shape.n} MatMul (fp32) and DynamicQuantizeLinear + MatMulInteger (int8), onnxruntime-node, ${threads} intra-op threads as in the configurations`,
  };
}
