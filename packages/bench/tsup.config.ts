import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.base.js";

// measure.ts and concurrency.ts run in a child process per configuration, and memory.ts on its own, so each is an entry.
export default defineConfig({ ...packageBuild, entry: ["src/index.ts", "src/measure.ts", "src/concurrency.ts", "src/memory.ts"], dts: { entry: "src/index.ts" } });
