import { DEFAULT_LOCAL_MODEL, PROVIDERS, isProviderName, providerList, type ProviderName } from "./config.js";
import { closest } from "./did-you-mean.js";
import { RerankError } from "./errors.js";

/**
 * The config-string grammar, one for createReranker, CROSSRANK_PROVIDER, the CLI's --provider and the adapters:
 *
 *   chain   = member *( "|" member )              the first member, then its fallbacks in order
 *   member  = provider [ ":" body ] [ "?" options ]
 *   options = key "=" value *( "&" key "=" value )  URL query syntax (percent-encoding, "+" is a space)
 *
 * The body is the model (a registry name or hub id), a model folder for `local` (a path starting with "/", "./",
 * "../", "~/" or a drive letter), or the server's URL for `http`. It is taken literally up to the first "?":
 * a value holding "?" or "|" (a URL with its own query string) goes in an option instead, percent-encoded
 * (`http?url=https%3A%2F%2Fhost%2Frerank%3Ftenant%3Da`). Option values are typed by the provider's schema.
 * Secrets (API keys, headers, a URL's user name or password) are refused: strings end up in logs and shell history.
 */

/** A config object as parsed from a string, before validation. */
export type ParsedConfig = { provider: string; fallback?: ParsedConfig[] } & Record<string, unknown>;

/** Option names that carry secrets, in any spelling a user may try. */
const SECRET_OPTION = /^(api[-_]?key|key|token|secret|password|authorization|bearer|headers?(\..*)?)$/i;
/** How a local model folder is told apart from a hub id ("BAAI/bge-reranker-base"). */
const PATH_START = /^(\/|\.\.?([\\/]|$)|~[\\/]|[A-Za-z]:[\\/])/;
/** What the built-in providers report as their model (in `servedBy`), accepted back in a string. */
const BUILTIN_MODELS: Partial<Record<ProviderName, string>> = { lexical: "bm25", passthrough: "input-order" };

const URL_QUERY_HINT =
  "; if the server's URL has a query string of its own, give the whole URL percent-encoded: http?url=<encoded>";

/** Longest config string accepted. */
const MAX_SPEC_LENGTH = 4096;
/** Problems listed in one error; the rest are counted. */
const MAX_PROBLEMS = 12;

type FieldKind = "string" | "number" | "boolean" | "other";

interface ZodLike {
  _zod: { def: { type: string; innerType?: ZodLike } };
}

/** What a provider's option holds, from its schema; undefined when the provider has no such option. */
function fieldKind(provider: ProviderName, key: string): FieldKind | undefined {
  if (!Object.hasOwn(PROVIDERS[provider].schema.shape, key)) return undefined;
  let field = (PROVIDERS[provider].schema.shape as Record<string, ZodLike>)[key]!;
  while (field._zod.def.innerType && (field._zod.def.type === "optional" || field._zod.def.type === "default")) {
    field = field._zod.def.innerType;
  }
  const type = field._zod.def.type;
  if (type === "number" || type === "boolean") return type;
  return type === "string" || type === "enum" ? "string" : "other";
}

const settable = new Map<ProviderName, string[]>();

/** The options a string can set for a provider, for messages and suggestions. */
function settableOptions(provider: ProviderName): string[] {
  const known = settable.get(provider);
  if (known) return known;
  const keys = Object.keys(PROVIDERS[provider].schema.shape).filter(
    (key) =>
      !["provider", "fallback", "cache"].includes(key) &&
      fieldKind(provider, key) !== "other" &&
      !SECRET_OPTION.test(key),
  );
  const options = [...keys, "cache", "cache.max", "cache.ttlMs"];
  settable.set(provider, options);
  return options;
}

/** Where a provider's API key goes instead of a config string. */
export function apiKeyAdvice(provider: ProviderName): string {
  const [first, ...others] = PROVIDERS[provider].apiKeyEnv as readonly string[];
  if (!first) return "put it in CROSSRANK_CONFIG or a config object";
  return `set ${first}${others.length ? ` (or ${others.join(", ")})` : ""}, or pass apiKey in a config object`;
}

/** The field the body of a member fills for this provider. */
function bodyField(provider: ProviderName, body: string): string | undefined {
  if (provider === "http") return "url";
  if (provider === "local") return PATH_START.test(body) ? "modelPath" : "model";
  return Object.hasOwn(PROVIDERS[provider].schema.shape, "model") ? "model" : undefined;
}

function hasUserInfo(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== "" || parsed.password !== "";
  } catch {
    return false; // Not a URL: the schema says so, without the value.
  }
}

function typedValue(kind: FieldKind, value: string): unknown {
  if (kind === "number") return /^\s*-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(value) ? Number(value) : undefined;
  if (kind === "boolean") return value === "true" ? true : value === "false" ? false : undefined;
  return value;
}

function parseMember(text: string, problems: string[], label: string): ParsedConfig | undefined {
  const queryAt = text.indexOf("?");
  const head = queryAt === -1 ? text : text.slice(0, queryAt);
  const colon = head.indexOf(":");
  const name = (colon === -1 ? head : head.slice(0, colon)).trim().toLowerCase();
  const body = colon === -1 ? "" : head.slice(colon + 1).trim();
  if (!name) {
    problems.push(`${label} names no provider; expected e.g. "local:${DEFAULT_LOCAL_MODEL}" or "cohere:rerank-v3.5"`);
    return undefined;
  }
  if (!isProviderName(name)) {
    // The name is not echoed: a misplaced secret would otherwise end up in a log.
    const suggestion = problems.length < MAX_PROBLEMS ? closest(name, Object.keys(PROVIDERS)) : undefined;
    const hint = suggestion ? `did you mean "${suggestion}"?` : `expected one of ${providerList()}`;
    problems.push(`${label} names an unknown provider; ${hint}`);
    return undefined;
  }
  const config: ParsedConfig = { provider: name };
  const fromBody = new Set<string>();
  if (body) {
    const builtin = BUILTIN_MODELS[name];
    const field = bodyField(name, body);
    if (builtin !== undefined) {
      if (body !== builtin) problems.push(`${label}: ${name} has no model to choose (it reports "${builtin}")`);
    } else if (field) {
      config[field] = body;
      fromBody.add(field);
    }
  }
  if (queryAt !== -1) parseOptions(text.slice(queryAt + 1), { provider: name, config, fromBody, problems, label });
  for (const field of ["url", "baseUrl"]) {
    if (typeof config[field] === "string" && hasUserInfo(config[field] as string)) {
      const advice = apiKeyAdvice(name);
      problems.push(`${label}: ${field} has a user name or password in it, and a string may be logged: ${advice}`);
    }
  }
  return config;
}

interface OptionTarget {
  provider: ProviderName;
  config: ParsedConfig;
  /** Fields the body already set. */
  fromBody: Set<string>;
  problems: string[];
  label: string;
}

function parseOptions(query: string, { provider, config, fromBody, problems, label }: OptionTarget): void {
  const seen = new Set<string>();
  const cache: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(query)) {
    const where = `${label}: option "${key}"`;
    if (SECRET_OPTION.test(key)) {
      const headers = key.toLowerCase().startsWith("header");
      const advice = headers ? "put headers in CROSSRANK_CONFIG or a config object" : apiKeyAdvice(provider);
      problems.push(`${label} takes no "${key}" (it may be logged): ${advice}`);
      continue;
    }
    if (seen.has(key) || fromBody.has(key)) {
      problems.push(`${where} is given twice`);
      continue;
    }
    seen.add(key);
    if (key === "provider") problems.push(`${label}: the provider is named before the colon, not as an option`);
    else if (key === "fallback") problems.push(`${label}: fallbacks are a chain: "cohere:rerank-v3.5|lexical"`);
    else if (key === "cache" || key === "cache.max" || key === "cache.ttlMs") {
      const n = typedValue("number", value);
      if (n === undefined) problems.push(`${where} must be a number`);
      else cache[key === "cache.ttlMs" ? "ttlMs" : "max"] = n;
      if (seen.has("cache") && seen.has("cache.max") && key !== "cache.ttlMs") {
        problems.push(`${label}: give cache or cache.max, not both`);
      }
    } else {
      const kind = fieldKind(provider, key);
      if (kind === undefined && problems.length >= MAX_PROBLEMS) {
        problems.push("an unknown option"); // Only counted: no suggestion is worked out for what is not shown.
      } else if (kind === undefined) {
        // Echoed only when it is a typo of a real option: an arbitrary key could be a misplaced secret.
        const suggestion = closest(key, settableOptions(provider));
        // The likely cause for http: the server's URL has a query string of its own.
        const urlHint = provider === "http" && fromBody.has("url") ? URL_QUERY_HINT : "";
        problems.push(
          suggestion
            ? `${label}: ${provider} has no option "${key}"; did you mean "${suggestion}"?`
            : `${label}: an option is not one of ${provider}'s (${settableOptions(provider).join(", ")})${urlHint}`,
        );
      } else if (kind === "other") {
        problems.push(`${label}: "${key}" cannot be set in a config string; use CROSSRANK_CONFIG or a config object`);
      } else {
        const typed = typedValue(kind, value);
        if (typed === undefined) problems.push(`${where} must be ${kind === "number" ? "a number" : "true or false"}`);
        else config[key] = typed;
      }
    }
  }
  if (Object.keys(cache).length) config.cache = cache;
}

/**
 * Parses a config string (grammar above) into a config object, with `fallback` for a chain. Every problem is
 * reported at once, by option name; values are never echoed.
 */
export function parseConfigString(spec: string): ParsedConfig {
  if (typeof spec !== "string") {
    const kind = spec === null ? "null" : typeof spec;
    throw new RerankError("INVALID_CONFIG", `a config string must be a string, not ${kind}`);
  }
  if (!spec.trim()) {
    throw new RerankError("INVALID_CONFIG", `the config string is empty; expected e.g. "local:${DEFAULT_LOCAL_MODEL}"`);
  }
  // A real config string is a line; past this it is a mistake (a file pasted into a variable), and parsing it,
  // with a suggestion per unknown option, would hold the event loop.
  if (spec.length > MAX_SPEC_LENGTH) {
    const message = `the config string is over ${MAX_SPEC_LENGTH} characters; for a large config use CROSSRANK_CONFIG`;
    throw new RerankError("INVALID_CONFIG", message);
  }
  const members = spec.split("|");
  const problems: string[] = [];
  const label = (i: number) =>
    members.length === 1 ? "config string" : i === 0 ? "config string, first provider" : `config string, fallback ${i}`;
  const parsed = members.map((member, i) => parseMember(member, problems, label(i)));
  for (const [i, member] of parsed.entries()) {
    if (i > 0 && member?.cache) problems.push(`${label(i)}: cache applies to the whole chain; set it on the first one`);
  }
  if (problems.length) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    if (problems.length > shown.length) shown.push(`and ${problems.length - shown.length} more`);
    throw new RerankError("INVALID_CONFIG", shown.join("; "));
  }
  const [first, ...fallback] = parsed as ParsedConfig[];
  return fallback.length ? { ...first!, fallback } : first!;
}

/**
 * Reads a model named on its own (CROSSRANK_MODEL) into a provider's config: a path for `local`, else the model.
 */
export function withModel(config: ParsedConfig, model: string): ParsedConfig {
  const provider = config.provider;
  const field = provider === "local" && PATH_START.test(model) ? "modelPath" : "model";
  return { ...config, [field]: model };
}

function formatMember(member: Record<string, unknown>): string {
  const { provider, ...options } = member as { provider: ProviderName } & Record<string, unknown>;
  let body = "";
  for (const field of ["url", "modelPath", "model"]) {
    const value = options[field];
    if (typeof value !== "string" || value === "" || value.trim() !== value || /[?|]/.test(value)) continue;
    if (field !== bodyField(provider, value) || (field === "model" && provider === "http")) continue;
    body = value;
    delete options[field];
    break;
  }
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (SECRET_OPTION.test(key) || (typeof value === "object" && key !== "cache")) {
      throw new RerankError("INVALID_CONFIG", `"${key}" cannot be written in a config string`);
    }
    if (key === "cache") {
      const { max, ttlMs } = value as { max: number; ttlMs?: number };
      params.append("cache.max", String(max));
      if (ttlMs !== undefined) params.append("cache.ttlMs", String(ttlMs));
    } else params.append(key, String(value));
  }
  const query = params.toString();
  return `${provider}${body ? `:${body}` : ""}${query ? `?${query}` : ""}`;
}

/** The config string that parses back to this config (no secrets: it throws for an apiKey or headers). */
export function formatConfigString(config: ParsedConfig): string {
  const { fallback, ...own } = config;
  const members = [own, ...(fallback ?? []).map((f) => (typeof f === "string" ? parseConfigString(f) : f))];
  if (members.slice(1).some((m) => m.fallback !== undefined)) {
    throw new RerankError("INVALID_CONFIG", "a fallback with fallbacks of its own cannot be written as one chain");
  }
  return members.map(formatMember).join("|");
}

/**
 * A whole config object written as JSON (CROSSRANK_CONFIG, the CLI's --config). `source` names it in errors;
 * the text is never echoed, since it may hold an API key.
 */
export function parseConfigJson(text: string, source: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const example = `{"provider":"cohere","model":"rerank-v3.5"}`;
    throw new RerankError("INVALID_CONFIG", `${source} is not valid JSON; expected a config object such as ${example}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const example = `{"provider":"lexical"}`;
    throw new RerankError("INVALID_CONFIG", `${source} must be a JSON object with a "provider", e.g. ${example}`);
  }
  return value as Record<string, unknown>;
}
