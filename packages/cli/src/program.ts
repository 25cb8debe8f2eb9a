import { createRequire } from "node:module";
import { hubSettings } from "@crossrank/hub";
import { Command } from "commander";
import { benchCommand } from "./bench-command.js";
import { evalCommand } from "./eval-command.js";
import { modelsCommand, type CliIO } from "./models-command.js";

/** This package's version; package.json sits one folder up from both src/ and dist/. */
const VERSION = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

export function buildProgram(io: Partial<CliIO> = {}): Command {
  const full: CliIO = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    settings: io.settings ?? (() => hubSettings()),
    setExitCode: io.setExitCode ?? ((code) => (process.exitCode = code)),
  };
  const program = new Command("crossrank").description("cross-encoder reranking for RAG")
    .version(VERSION, "-V, --version", "print the version of @crossrank/cli")
    .showHelpAfterError();
  program.addCommand(modelsCommand(full));
  program.addCommand(evalCommand(full));
  program.addCommand(benchCommand(full));
  return program;
}
