import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { MeasureCommand, MeasureReply, MeasureRequest, MeasureResult, QueryTiming } from "./measure.js";

/** The built script of a configuration process: the bench always measures the built packages with plain Node. */
export function builtScript(name: "measure" | "concurrency"): string {
  const script = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? `../dist/${name}.js` : `./${name}.js`, import.meta.url));
  if (!existsSync(script)) throw new Error(`${script} is missing: the benchmark measures the built packages, so run pnpm build first`);
  return script;
}

/**
 * A configuration running in a process of its own, driven query by query over IPC. Run from the TypeScript
 * sources (`pnpm crossrank`), a loader would add its own thread and memory to every figure, so the child runs the
 * built script with no Node flags.
 */
export class ConfigProcess {
  private readonly child: ChildProcess;
  private readonly replies: MeasureReply[] = [];
  private waiting: ((reply: MeasureReply) => void) | undefined;
  private exited: Error | undefined;

  constructor(readonly request: MeasureRequest) {
    this.child = fork(builtScript("measure"), [JSON.stringify(request)], { execArgv: [], stdio: ["ignore", "ignore", "inherit", "ipc"] });
    this.child.on("message", (reply: MeasureReply) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(reply);
      } else this.replies.push(reply);
    });
    this.child.on("exit", (code) => {
      this.exited = new Error(`the ${describe(request)} process exited (code ${code})`);
      this.waiting?.({ type: "error", message: this.exited.message });
    });
  }

  ready(): Promise<void> {
    return this.next("ready").then(() => undefined);
  }

  async query(index: number): Promise<QueryTiming> {
    this.send({ type: "query", index });
    const reply = await this.next("query");
    return (reply as Extract<MeasureReply, { type: "query" }>).timing;
  }

  async finish(): Promise<MeasureResult> {
    this.send({ type: "finish" });
    const reply = await this.next("result");
    return (reply as Extract<MeasureReply, { type: "result" }>).result;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }

  private send(command: MeasureCommand): void {
    if (this.exited) throw this.exited;
    this.child.send(command);
  }

  private async next(type: MeasureReply["type"]): Promise<MeasureReply> {
    const reply = this.replies.shift() ?? (this.exited ? { type: "error" as const, message: this.exited.message } : await new Promise<MeasureReply>((resolve) => (this.waiting = resolve)));
    if (reply.type === "error") throw new Error(`${describe(this.request)}: ${reply.message}`);
    if (reply.type !== type) throw new Error(`${describe(this.request)}: expected ${type}, got ${reply.type}`);
    return reply;
  }
}

export function describe(r: MeasureRequest): string {
  const layout = r.engine === "crossrank" ? (r.workers ? ` ${r.workers} worker(s) × ${r.threads ?? "default"} thread(s)` : " defaults") : "";
  return `${r.engine}${layout} ${r.shape} ${r.dtype}`;
}

/**
 * Runs every query on every configuration, interleaved: query i on each configuration in turn (the order rotating
 * from one query to the next), so that whatever else loads the machine meanwhile falls on all of them alike.
 */
export async function runInterleaved(requests: MeasureRequest[], queries: number, log: (line: string) => void): Promise<MeasureResult[]> {
  const processes: ConfigProcess[] = [];
  try {
    // Loaded one after another: loading is not measured, but loads at once would crowd each other out of memory.
    for (const request of requests) {
      const p = new ConfigProcess(request);
      processes.push(p);
      await p.ready();
    }
    for (let i = 0; i < queries; i++) {
      if (i % 10 === 0) log(`  query ${i + 1} of ${queries} on ${processes.length} configurations …`);
      for (let k = 0; k < processes.length; k++) await processes[(i + k) % processes.length]!.query(i);
    }
    const results: MeasureResult[] = [];
    for (const p of processes) results.push(await p.finish());
    return results;
  } finally {
    for (const p of processes) p.kill();
  }
}
