import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts", "examples/*/**/*.test.ts"],
    globalSetup: ["test/setup/generate-fixtures.ts"],
    testTimeout: 60_000,
    // Tests never reach the real hub: downloads are off unless a test points HF_ENDPOINT at its local server,
    // and the model cache is a throwaway folder.
    env: { CROSSRANK_OFFLINE: "1", CROSSRANK_CACHE_DIR: join(tmpdir(), `crossrank-test-cache-${process.pid}`), HF_TOKEN: "" },
    hookTimeout: 180_000,
    // Models use both cores; two files at once is the most this machine can run without thrashing.
    maxWorkers: 2,
    // The JSON report lets .ci/run print a plain "N passed, M failed" line from vitest's own counts.
    reporters: ["default", ["json", { outputFile: ".vitest-report.json" }]],
  },
});
