import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createReranker } from "@crossrank/core";
import { describe, expect, it } from "vitest";
import { TINY } from "./setup/fixture-paths.js";

const PACKAGE = fileURLToPath(new URL("../packages/onnx/", import.meta.url));
const HOOKS = ["crashInferenceWorkers", "loadedSessionCount"];

describe("@crossrank/onnx entry points", () => {
  it("keeps the test hooks off the main entry, in its types and at run time", async () => {
    const types = readFileSync(`${PACKAGE}dist/index.d.ts`, "utf8");
    for (const hook of HOOKS) expect(types).not.toContain(hook);
    const main = await import("@crossrank/onnx");
    for (const hook of HOOKS) expect(Object.keys(main)).not.toContain(hook);
    expect(typeof main.createProvider).toBe("function");
  });

  it("offers them from @crossrank/onnx/testing, in exports and publishConfig.exports alike", async () => {
    const pkg = JSON.parse(readFileSync(`${PACKAGE}package.json`, "utf8")) as {
      exports: Record<string, Record<string, string>>;
      publishConfig: { exports: Record<string, Record<string, string>> };
    };
    for (const exports of [pkg.exports, pkg.publishConfig.exports]) {
      expect(exports["./testing"]).toMatchObject({ types: "./dist/testing.d.ts", import: "./dist/testing.js" });
    }
    const types = readFileSync(`${PACKAGE}dist/testing.d.ts`, "utf8");
    for (const hook of HOOKS) expect(types).toContain(hook);
  });

  it("the hooks see the pools the provider loaded through the main entry", async () => {
    const { loadedSessionCount } = await import("@crossrank/onnx/testing");
    const before = loadedSessionCount();
    const reranker = await createReranker({ provider: "local", modelPath: TINY.bert, threads: 1, workers: 1 });
    try {
      expect(loadedSessionCount()).toBe(before + 1);
    } finally {
      await reranker.close();
    }
    expect(loadedSessionCount()).toBe(before);
  });
});
