#!/usr/bin/env node
import { isRerankError } from "@crossrank/core";
import { buildProgram } from "./program.js";

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  // RerankError messages already say what went wrong and what to do; a stack adds nothing for a CLI user.
  const message = isRerankError(error) ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`crossrank: ${message}\n`);
  process.exitCode = 1;
}
