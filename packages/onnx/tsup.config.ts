import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.base.js";

// The inference worker is its own entry: it is loaded by URL, never imported.
export default defineConfig({ ...packageBuild, entry: ["src/index.ts", "src/inference-worker.ts"], dts: { entry: "src/index.ts" } });
