import type { Options } from "tsup";

/** Every published package builds the same way: ESM for Node 20 with declarations. */
export const packageBuild: Options = {
  entry: ["src/index.ts"],
  format: ["esm"],
  dts: true,
  target: "node20",
  clean: true,
  sourcemap: true,
};
