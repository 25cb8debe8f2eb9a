import type { JSONObject, JSONValue } from "@ai-sdk/provider";

/**
 * How an object document becomes the text a cross-encoder reads: one `key: value` line per field, in the
 * object's own order; strings as they are, anything else as JSON. `{ title: "Tides", year: 2024 }` becomes
 * "title: Tides\nyear: 2024". A string value in an "object" list (the AI SDK labels a mixed list by its first
 * element only) is used as it is.
 */
export function documentText(value: JSONObject | string): string {
  if (typeof value === "string") return value;
  return Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([key, v]) => `${key}: ${fieldText(v as JSONValue)}`)
    .join("\n");
}

function fieldText(value: JSONValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
