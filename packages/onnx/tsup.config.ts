import { buildSync, type Plugin } from "esbuild";
import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.base.js";

/**
 * The inference worker is bundled on its own (everything but the native onnxruntime-node) and carried inside the
 * package's code as a string, started with `new Worker(code, { eval: true })`. A bundler that copies this package
 * into an app's output (webpack, Turbopack, esbuild) then has no worker file to find or rewrite.
 */
function workerCode(): string {
  const result = buildSync({
    entryPoints: ["src/inference-worker.ts"],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["onnxruntime-node"],
    write: false,
  });
  return result.outputFiles[0]!.text;
}

const inlineWorker: Plugin = {
  name: "crossrank-inline-inference-worker",
  setup(build) {
    build.onResolve({ filter: /[\\/]worker-source\.js$/ }, () => ({
      path: "inference-worker",
      namespace: "crossrank-inline-worker",
    }));
    build.onLoad({ filter: /.*/, namespace: "crossrank-inline-worker" }, () => ({
      contents:
        `const code = ${JSON.stringify(workerCode())};\n` +
        "export function inferenceWorkerEntry() { return { entry: code, eval: true }; }\n",
      loader: "js",
    }));
  },
};

// Test hooks get an entry of their own; both share one chunk of session-cache, so they see the same pools.
export default defineConfig({
  ...packageBuild,
  entry: ["src/index.ts", "src/testing.ts"],
  esbuildPlugins: [inlineWorker],
});
