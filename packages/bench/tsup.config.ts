import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.base.js";

// measure.ts runs in a child process per configuration, so it is an entry of its own.
export default defineConfig({ ...packageBuild, entry: ["src/index.ts", "src/measure.ts"], dts: { entry: "src/index.ts" } });
