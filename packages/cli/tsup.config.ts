import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.base.js";

// @crossrank/bench is a dev-only, optional import (it locates its own child-process script): never bundle it.
export default defineConfig({ ...packageBuild, entry: ["src/index.ts", "src/bin.ts"], dts: { entry: "src/index.ts" }, external: ["@crossrank/bench"] });
