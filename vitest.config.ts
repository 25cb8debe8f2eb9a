import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts", "examples/*/**/*.test.ts"],
    globalSetup: ["test/setup/generate-fixtures.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Models use both cores; two files at once is the most this machine can run without thrashing.
    maxWorkers: 2,
    // The JSON report lets .ci/run print a plain "N passed, M failed" line from vitest's own counts.
    reporters: ["default", ["json", { outputFile: ".vitest-report.json" }]],
  },
});
