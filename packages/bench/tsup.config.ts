import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.base.js";

// measure.ts and concurrency.ts run in a child process per configuration, so each is an entry of its own.
export default defineConfig({ ...packageBuild, entry: ["src/index.ts", "src/measure.ts", "src/concurrency.ts"], dts: { entry: "src/index.ts" } });
