import {
  isPinned,
  listModels,
  listModelsDir,
  pullModel,
  REGISTRY,
  requireModel,
  verifyModel,
  type Dtype,
  type HubSettings,
} from "@crossrank/hub";
import { Command, InvalidArgumentError } from "commander";
import { formatBytes, table } from "./format.js";
import { weightsCommand } from "./models-weights.js";
import { progressReporter } from "./progress.js";

export interface CliIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  settings: () => HubSettings;
  /** Set when a command finishes with problems it already reported. */
  setExitCode(code: number): void;
}

function dtypeOption(value: string): Dtype {
  if (value !== "fp32" && value !== "q8") throw new InvalidArgumentError('expected "fp32" or "q8"');
  return value;
}

export function modelsCommand(io: CliIO): Command {
  const models = new Command("models").description("list, download and check cross-encoder models");
  const print = (text: string): void => void io.stdout.write(`${text}\n`);

  models
    .command("list")
    .description("the models crossrank knows by name, and which are cached")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const listed = await listModels({ settings: io.settings() });
      if (opts.json) {
        print(JSON.stringify(listed, null, 2));
        return;
      }
      const approx = (name: string, dtype: Dtype) => {
        const mb = REGISTRY.find((m) => m.name === name)!.files[dtype].reduce((n, f) => n + (f.approxMB ?? 0), 0);
        return mb ? `~${formatBytes(mb * 1e6)}` : "-";
      };
      const rows = [["NAME", "FAMILY", "LICENSE", "FP32", "Q8", "REPO"]];
      for (const m of listed) {
        const cell = (dtype: Dtype) =>
          m.cached[dtype] !== undefined ? `cached ${formatBytes(m.cached[dtype]!)}` : approx(m.name, dtype);
        rows.push([
          m.name,
          m.family,
          m.license,
          cell("fp32"),
          cell("q8"),
          `${m.repo}@${isPinned(m.revision) ? m.revision.slice(0, 7) : `${m.revision} (unpinned)`}`,
        ]);
      }
      print(table(rows));
      const settings = io.settings();
      print(`\ncache: ${settings.cacheDir}`);
      if (!settings.modelsDir) return;
      const folders = await listModelsDir(settings.modelsDir);
      print(`\nCROSSRANK_MODELS_DIR: ${settings.modelsDir}`);
      if (folders.length === 0) return print("(no model folders)");
      const dirRows = [["NAME", "DTYPES", "ONNX SIZE"]];
      for (const f of folders) {
        const dtypes = (["fp32", "q8"] as const).filter((d) => f.dtypes[d] !== undefined);
        dirRows.push([f.name, dtypes.join(",") || "-", dtypes.map((d) => formatBytes(f.dtypes[d]!)).join(", ") || "-"]);
      }
      print(table(dirRows));
    });

  models
    .command("pull")
    .description("download a model (registry name or hub id), verify it and cache it")
    .argument("<name>", "registry name (see `models list`) or Hugging Face hub id org/name")
    .option("--dtype <dtype>", "fp32 or q8", dtypeOption, "fp32")
    .option("--dir <dir>", "write to <dir>/<name>/ (a folder for CROSSRANK_MODELS_DIR) instead of the cache")
    .option(
      "--require-digest",
      "refuse files the hub published no sha256 or git blob id for (also: CROSSRANK_REQUIRE_DIGEST=1)",
    )
    .action(async (name: string, opts: { dtype: Dtype; dir?: string; requireDigest?: boolean }) => {
      const progress = progressReporter(io.stderr);
      try {
        const pulled = await pullModel(name, {
          settings: io.settings(),
          dtype: opts.dtype,
          dir: opts.dir,
          onProgress: progress.onProgress,
          ...(opts.requireDigest ? { requireDigest: true } : {}),
        });
        progress.stop();
        const bytes = pulled.files.reduce((n, f) => n + f.size, 0);
        const fetched = pulled.downloaded.length
          ? `${pulled.downloaded.length} downloaded and verified`
          : "all already cached";
        print(`${pulled.name} (${opts.dtype}): ${pulled.files.length} files, ${formatBytes(bytes)}, ${fetched}`);
        print(pulled.dir);
      } finally {
        progress.stop();
      }
    });

  models
    .command("verify")
    .description("re-check the checksums of cached model files")
    .argument("[name]", "a model; default: every cached registry model")
    .option("--dtype <dtype>", "fp32 or q8 (default: each one that is cached)", dtypeOption)
    .option("--dir <dir>", "check <dir>/<name>/ instead of the cache")
    .option(
      "--require-digest",
      "count files nothing published a digest for as failures (also: CROSSRANK_REQUIRE_DIGEST=1)",
    )
    .action(async (name: string | undefined, opts: { dtype?: Dtype; dir?: string; requireDigest?: boolean }) => {
      const settings = io.settings();
      const strict = opts.requireDigest === true || settings.requireDigest;
      const targets: { name: string; dtype: Dtype }[] = [];
      if (name) {
        requireModel(name);
        for (const dtype of opts.dtype ? [opts.dtype] : (["fp32", "q8"] as const)) targets.push({ name, dtype });
      } else {
        for (const m of await listModels({ settings })) {
          for (const dtype of ["fp32", "q8"] as const)
            if (m.cached[dtype] !== undefined && (!opts.dtype || opts.dtype === dtype))
              targets.push({ name: m.name, dtype });
        }
        if (targets.length === 0) {
          print("no cached models to verify");
          return;
        }
      }
      let problems = 0;
      let unverified = 0;
      let checked = 0;
      for (const t of targets) {
        const report = await verifyModel(t.name, { settings, dtype: t.dtype, dir: opts.dir });
        // Without --dtype, a dtype of which nothing is on disk was simply never pulled.
        const onnxMissing = report.files.filter((f) => f.path.startsWith("onnx/")).every((f) => f.status === "missing");
        if (!opts.dtype && onnxMissing) continue;
        checked++;
        for (const f of report.files) {
          if (f.status === "unverified") unverified++;
          if (f.status !== "ok" && (f.status !== "unverified" || strict)) problems++;
          print(`${f.status.padEnd(8)} ${t.name} (${t.dtype}) ${f.path}${f.detail ? `: ${f.detail}` : ""}`);
        }
      }
      if (checked === 0) {
        io.stderr.write(
          `${name} is not cached${opts.dir ? ` in ${opts.dir}` : ""}; pull it with: crossrank models pull ${name}\n`,
        );
        io.setExitCode(1);
        return;
      }
      if (unverified && !strict) {
        io.stderr.write(
          `${unverified} file(s) had no published digest to check at download; ` +
            "--require-digest counts them as failures\n",
        );
      }
      if (problems) {
        io.stderr.write(
          `${problems} file(s) failed verification; run \`crossrank models pull <name>\` to fetch them again\n`,
        );
        io.setExitCode(1);
      }
    });

  models.addCommand(weightsCommand(io));

  return models;
}
