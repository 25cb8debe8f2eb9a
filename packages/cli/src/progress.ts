import cliProgress from "cli-progress";
import type { ProgressEvent } from "@crossrank/hub";

export interface ProgressReporter {
  onProgress(event: ProgressEvent): void;
  stop(): void;
}

/** A bar per file on a terminal; nothing at all otherwise (logs and CI stay clean). */
export function progressReporter(stream: NodeJS.WriteStream): ProgressReporter {
  if (!stream.isTTY) return { onProgress() {}, stop() {} };
  const bars = new cliProgress.MultiBar(
    { stream, format: " {file} [{bar}] {percentage}% | {value}/{total} bytes", hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  const byFile = new Map<string, cliProgress.SingleBar>();
  return {
    onProgress({ file, downloaded, total }) {
      let bar = byFile.get(file);
      if (!bar) byFile.set(file, (bar = bars.create(total ?? downloaded, 0, { file })));
      if (total === undefined) bar.setTotal(downloaded);
      bar.update(downloaded, { file });
    },
    stop() {
      bars.stop();
    },
  };
}
