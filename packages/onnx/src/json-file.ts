import { readFile } from "node:fs/promises";
import { RerankError } from "@crossrank/core";

export type JsonObject = Record<string, unknown>;

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** A model file that must hold one JSON object: any other content is MODEL_INVALID naming the file. */
export async function readJsonObject(path: string): Promise<JsonObject> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new RerankError("MODEL_INVALID", `could not read ${path}: ${(error as Error).message}`, {
      provider: "local",
      cause: error,
    });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const message = `${path} holds ${kindOf(value)}; it must hold a JSON object`;
    throw new RerankError("MODEL_INVALID", message, { provider: "local" });
  }
  return value as JsonObject;
}

/**
 * Checks one field of a model file: absent (undefined, or null where `nullable`) passes; otherwise `valid` must
 * hold, or the error names the file, the field, what it holds and what it should.
 */
export function checkField(
  path: string,
  json: JsonObject,
  field: string,
  expected: string,
  valid: (value: unknown) => boolean,
): void {
  const value = json[field];
  if (value === undefined || value === null || valid(value)) return;
  const message = `${path}: "${field}" is ${kindOf(value)} (${clip(JSON.stringify(value))}); expected ${expected}`;
  throw new RerankError("MODEL_INVALID", message, { provider: "local" });
}

function clip(text: string | undefined): string {
  if (text === undefined) return "";
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

export const isInteger = (v: unknown): boolean => Number.isInteger(v);
export const isPositiveInteger = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0;
export const isString = (v: unknown): boolean => typeof v === "string";
export const isObject = (v: unknown): boolean => typeof v === "object" && v !== null && !Array.isArray(v);

