import { isAbsolute, relative, resolve, sep } from "node:path";
import { RerankError } from "@crossrank/core";

/**
 * Every name that becomes part of a path (a model name, repo id, revision, file path from the registry or the hub,
 * a folder from the command line) is checked here before it is joined to anything, so no input can point a read
 * or a write outside the folder it belongs in.
 */

const SHOWN_MAX = 80;

/** A name as an error shows it: quoted and escaped (control characters visible), and cut short. */
export function shown(value: string): string {
  return JSON.stringify(value.length > SHOWN_MAX ? `${value.slice(0, SHOWN_MAX)}…` : value);
}

function invalid(field: string, value: string, why: string): RerankError {
  return new RerankError("INVALID_CONFIG", `${field} ${shown(value)} ${why}`, { provider: "local" });
}

const CONTROL = /[\u0000-\u001f\u007f]/;
/** The hub's own rule for org and repo names: word characters, "-" and "."; no "--" or ".."; 96 at most. */
const HUB_PART = /^[A-Za-z0-9_](?:[\w.-]{0,94}[A-Za-z0-9_])?$/;
const REGISTRY_NAME = /^[A-Za-z0-9_][\w.-]{0,127}$/;
/** One segment of a git ref or of a file path: no leading dot, so never "." or ".." or a hidden name. */
const REF_SEGMENT = /^[\w-][\w.-]*$/;
const FILE_SEGMENT = /^[\w-][\w.+-]*$/;

function checkText(field: string, value: unknown, max: number): string {
  if (typeof value !== "string" || value.length === 0)
    throw invalid(field, String(value), "must be a non-empty string");
  if (CONTROL.test(value)) throw invalid(field, value, "contains a control character");
  if (value.length > max) throw invalid(field, value, `is longer than ${max} characters`);
  return value;
}

export function checkRepoId(value: string, field = "model"): string {
  checkText(field, value, 200);
  const parts = value.split("/");
  const ok = parts.length === 2 && parts.every((p) => HUB_PART.test(p) && !p.includes("--") && !p.includes(".."));
  if (!ok) {
    throw invalid(
      field,
      value,
      'is not a Hugging Face hub id ("org/name": letters, digits, "_", "-" and ".", no ".." or "--")',
    );
  }
  return value;
}

/** A branch, tag or commit id; "refs/pr/1" style names keep their slashes but never "." or ".." segments. */
export function checkRevision(value: string, field = "revision"): string {
  checkText(field, value, 200);
  const ok = value.split("/").every((s) => REF_SEGMENT.test(s)) && !value.includes("..") && !value.endsWith(".lock");
  if (!ok)
    throw invalid(
      field,
      value,
      'is not a valid revision (a branch, tag or commit id: letters, digits, "_", "-", "." and "/")',
    );
  return value;
}

/** A file inside a repo, as the registry or a hub names it: relative, "/"-separated, no hidden or temporary names. */
export function checkFilePath(value: string, field = "file"): string {
  checkText(field, value, 255);
  const segments = value.split("/");
  const ok = segments.length <= 8 && segments.every((s) => FILE_SEGMENT.test(s)) && !/\.(part|tmp)$/.test(value);
  if (!ok) throw invalid(field, value, "is not a safe file path inside a model repository");
  return value;
}

export interface ParsedModelName {
  /** A registry name or an "org/name" hub id. */
  id: string;
  revision: string | undefined;
}

/** Splits "name", "org/name" or either with "@revision", refusing anything that could not be a model name. */
export function parseModelName(input: string): ParsedModelName {
  checkText("model", input, 300);
  const at = input.indexOf("@");
  const id = at === -1 ? input : input.slice(0, at);
  const revision = at === -1 ? undefined : input.slice(at + 1);
  if (id.includes("/")) checkRepoId(id);
  else if (!REGISTRY_NAME.test(id) || id.includes("..")) {
    throw invalid(
      "model",
      input,
      "is not a model name: use a registry name (see: crossrank models list) or a hub id " +
        '"org/name"; for a folder use modelPath',
    );
  }
  if (revision !== undefined) checkRevision(revision, `revision of model ${shown(id)}`);
  return { id, revision };
}

/** A folder the user names (--dir, CROSSRANK_MODELS_DIR): any path, but no control characters. */
export function checkFolder(value: string, field: string): string {
  checkText(field, value, 4096);
  return resolve(value);
}

/** For schemas: whether a check accepts a value. */
export function passes(check: (value: string) => string): (value: string) => boolean {
  return (value) => {
    try {
      check(value);
      return true;
    } catch {
      return false;
    }
  };
}

/** True when `path` is strictly inside `root` (after resolving "." and ".."; symlinks are checked elsewhere). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** root joined with parts, refused unless the result stays inside root. */
export function inside(root: string, parts: string[], field: string): string {
  const path = resolve(root, ...parts);
  if (!isInside(root, path)) throw invalid(field, parts.join("/"), `resolves outside ${root}`);
  return path;
}
