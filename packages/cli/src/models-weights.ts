import { listWeightCopies, pruneWeightCopies, type WeightCopy } from "@crossrank/hub";
import { Command } from "commander";
import { formatBytes, table } from "./format.js";
import type { CliIO } from "./models-command.js";

function rows(copies: WeightCopy[]): string[][] {
  return [["STATUS", "SIZE", "MODIFIED", "SOURCE", "FOLDER"]].concat(
    copies.map((c) => [
      c.status,
      formatBytes(c.bytes),
      c.modifiedAt.toISOString().slice(0, 16),
      c.source ?? "-",
      c.dir,
    ]),
  );
}

/** `crossrank models weights`: the mapped-weights copies @crossrank/onnx keeps in the cache, and their pruning. */
export function weightsCommand(io: CliIO): Command {
  const print = (text: string): void => void io.stdout.write(`${text}\n`);
  return new Command("weights")
    .description(
      "list the mapped-weights copies of ONNX models in the cache; --prune removes those nothing will load again",
    )
    .option("--prune", "remove copies whose model changed or is gone, broken copies, and ones abandoned half made")
    .option("--all", "with --prune: remove current copies too (they are made again on next load)")
    .option("--json", "print JSON")
    .action(async (opts: { prune?: boolean; all?: boolean; json?: boolean }) => {
      const settings = io.settings();
      if (opts.all && !opts.prune) throw new Error("--all only goes with --prune");
      if (opts.prune) {
        const removed = await pruneWeightCopies({ settings, all: opts.all });
        if (opts.json) return print(JSON.stringify(removed, null, 2));
        const bytes = removed.reduce((n, c) => n + c.bytes, 0);
        if (removed.length) print(table(rows(removed)));
        print(
          `removed ${removed.length} ${removed.length === 1 ? "copy" : "copies"}, ${formatBytes(bytes)}, ` +
            `from ${settings.weightsDir}`,
        );
        return;
      }
      const copies = await listWeightCopies({ settings });
      if (opts.json) return print(JSON.stringify(copies, null, 2));
      if (copies.length === 0) return print(`no mapped-weights copies in ${settings.weightsDir}`);
      print(table(rows(copies)));
      const prunable = copies.filter((c) => c.status !== "current" && c.status !== "making");
      const bytes = prunable.reduce((n, c) => n + c.bytes, 0);
      print(
        `\n${copies.length} in ${settings.weightsDir}; ${prunable.length} prunable (${formatBytes(bytes)}): ` +
          "crossrank models weights --prune",
      );
    });
}
