/**
 * Every TypeScript snippet of the READMEs (the root's and each package's) compiles under --strict against the built packages, as a user would
 * paste it: each snippet is written as a module into a workspace folder whose node_modules has every package it
 * imports, with the few names a snippet leaves to the reader (`candidates`, `query`, …) declared.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FOLDER = ".readme-snippets";

/** What the README leaves to the reader, typed as narrowly as the snippets allow. */
const READER_NAMES: Record<string, string> = {
  candidates: "string[]",
  documents: "string[]",
  query: "string",
  metrics: "{ record(durationMs: number, event: unknown): void }",
  vectorStore: "any",
  index: "any",
  results: "any",
  signal: "AbortSignal",
};

interface Snippet {
  line: number;
  code: string;
}

function snippets(markdown: string): Snippet[] {
  const found: Snippet[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "```ts") continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== "```") end++;
    found.push({ line: start + 1, code: lines.slice(start, end).join("\n") });
    i = end;
  }
  return found;
}

function importedPackages(code: string): string[] {
  const names = new Set<string>();
  for (const m of code.matchAll(/from\s+"([^"]+)"|import\s+"([^"]+)"/g)) {
    const spec = (m[1] ?? m[2])!;
    const parts = spec.split("/");
    names.add(spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!);
  }
  return [...names];
}

function asModule(code: string): string {
  let prelude = "";
  if (/\bcreateReranker\b/.test(code) && !/import[^;]*\bcreateReranker\b/.test(code)) {
    prelude += 'import { createReranker } from "@crossrank/core";\n';
  }
  for (const [name, type] of Object.entries(READER_NAMES)) {
    const used = new RegExp(`(?<![.\\w])${name}\\b(?!\\s*:)`).test(code);
    const declared = new RegExp(`\\b(const|let|var|import)\\b[^;=]*\\b${name}\\b`).test(code);
    if (used && !declared) prelude += `declare const ${name}: ${type};\n`;
  }
  return `${prelude}${code}\nexport {};\n`;
}

async function workspaceFolders(): Promise<string[]> {
  const folders: string[] = [];
  for (const parent of ["examples", "packages"]) {
    for (const name of await readdir(join(ROOT, parent))) folders.push(join(ROOT, parent, name));
  }
  return folders.filter((dir) => existsSync(join(dir, "node_modules")));
}

describe("README snippets", () => {
  it("compile under --strict, as a user would paste them", async () => {
    const readmes = ["README.md", ...(await readdir(join(ROOT, "packages"))).map((name) => `packages/${name}/README.md`)];
    const blocks: (Snippet & { readme: string })[] = [];
    for (const readme of readmes.filter((path) => existsSync(join(ROOT, path)))) {
      for (const block of snippets(await readFile(join(ROOT, readme), "utf8"))) blocks.push({ ...block, readme });
    }
    expect(blocks.length).toBeGreaterThan(15);
    const folders = await workspaceFolders();
    const byFolder = new Map<string, { file: string; line: number }[]>();
    for (const block of blocks) {
      const needs = importedPackages(asModule(block.code));
      const home = folders.find((dir) => needs.every((pkg) => existsSync(join(dir, "node_modules", pkg))));
      expect(home, `${block.readme} line ${block.line}: no workspace folder has ${needs.join(", ")}`).toBeDefined();
      const file = `${block.readme.replace(/\W+/g, "-")}-line-${block.line}.ts`;
      const list = byFolder.get(home!) ?? [];
      list.push({ file, line: block.line });
      byFolder.set(home!, list);
      await mkdir(join(home!, FOLDER), { recursive: true });
      await writeFile(join(home!, FOLDER, file), asModule(block.code));
    }
    const errors: string[] = [];
    try {
      for (const [home, files] of byFolder) {
        const tsconfig = {
          extends: join(ROOT, "tsconfig.base.json"),
          compilerOptions: { noEmit: true, strict: true, types: ["node"] },
          files: files.map((f) => f.file),
        };
        await writeFile(join(home, FOLDER, "tsconfig.json"), JSON.stringify(tsconfig));
        const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
        await exec(process.execPath, [tsc, "-p", join(home, FOLDER, "tsconfig.json")], { cwd: home }).catch((error: { stdout?: string }) => {
          errors.push(String(error.stdout ?? error));
        });
      }
    } finally {
      for (const home of byFolder.keys()) await rm(join(home, FOLDER), { recursive: true, force: true });
    }
    expect(errors.join("\n")).toBe("");
  }, 180_000);
});
