import { hubSettings } from "@crossrank/hub";
import { Command } from "commander";
import { benchCommand } from "./bench-command.js";
import { evalCommand } from "./eval-command.js";
import { modelsCommand, type CliIO } from "./models-command.js";

export function buildProgram(io: Partial<CliIO> = {}): Command {
  const full: CliIO = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    settings: io.settings ?? (() => hubSettings()),
    setExitCode: io.setExitCode ?? ((code) => (process.exitCode = code)),
  };
  const program = new Command("crossrank").description("cross-encoder reranking for RAG").showHelpAfterError();
  program.addCommand(modelsCommand(full));
  program.addCommand(evalCommand(full));
  program.addCommand(benchCommand(full));
  return program;
}
