import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import {
  createReranker,
  isRerankError,
  parseConfigJson,
  PROVIDERS,
  RerankError,
  resolveConfig,
  type ResolvedConfig,
  type RerankProvider,
} from "@crossrank/core";

/** Fields of a config that hold secrets: fine in a file or the environment, not on a command line. */
const SECRET_FIELDS = ["apiKey", "headers"];

/**
 * The reranker config a command was given: `--provider <config string>` (the grammar of createReranker and
 * CROSSRANK_PROVIDER) or `--config <json|file>`, resolved and checked before anything is loaded.
 */
export async function configFromOptions(
  options: { provider?: string; config?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedConfig | undefined> {
  if (options.provider !== undefined && options.config !== undefined) {
    throw new RerankError("INVALID_CONFIG", "pass --provider or --config, not both");
  }
  let config: ResolvedConfig | undefined;
  if (options.provider !== undefined) config = resolveConfig(options.provider, env);
  else if (options.config !== undefined) config = resolveConfig((await readConfigOption(options.config)) as never, env);
  if (config) checkApiKeys(config, env);
  return config;
}

/** `--config` is JSON when it starts with "{", else a JSON file. */
async function readConfigOption(value: string): Promise<Record<string, unknown>> {
  if (value.trimStart().startsWith("{")) {
    const config = parseConfigJson(value, "--config");
    // A command line shows up in `ps` and in shell history.
    const members = [config, ...(Array.isArray(config.fallback) ? config.fallback : [])];
    for (const member of members) {
      const field = SECRET_FIELDS.find((f) => member !== null && typeof member === "object" && f in member);
      if (field) {
        throw new RerankError(
          "INVALID_CONFIG",
          `--config on the command line takes no ${field} (it would show in ps and shell history): ` +
            "put the config in a file, or the key in its environment variable",
        );
      }
    }
    return config;
  }
  let text: string;
  try {
    text = await readFile(value, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RerankError(
      "INVALID_CONFIG",
      code === "ENOENT"
        ? `--config: ${value} was not found (give a JSON file, or JSON starting with "{")`
        : `--config: ${value} could not be read (${code ?? "unknown error"})`,
    );
  }
  return parseConfigJson(text, `--config ${value}`);
}

/**
 * A hosted provider without a key fails here, naming its environment variable: the CLI has no apiKey flag, so
 * the provider's own "pass apiKey" advice would not help.
 */
function checkApiKeys(config: ResolvedConfig, env: NodeJS.ProcessEnv): void {
  const members = [config, ...((config.fallback ?? []) as ResolvedConfig[])];
  for (const member of members) {
    const variables: readonly string[] = PROVIDERS[member.provider].apiKeyEnv;
    if (!variables.length || ("apiKey" in member && member.apiKey)) continue;
    if (variables.some((v) => env[v]?.trim())) continue;
    const [first, ...others] = variables;
    const names = `${first}${others.length ? ` (or ${others.join(", ")})` : ""}`;
    throw new RerankError(
      "INVALID_CONFIG",
      `the ${member.provider} provider needs an API key: set ${names} in the environment, ` +
        'or give "apiKey" in a --config file',
      { provider: member.provider },
    );
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * createReranker, with a hint when a local model named like a relative path ("models/foo") was taken as a hub id
 * and failed while a folder of that name exists here.
 */
export async function createCliReranker(config: ResolvedConfig): Promise<RerankProvider> {
  try {
    return await createReranker(config);
  } catch (error) {
    const model = config.provider === "local" && config.modelPath === undefined ? config.model : undefined;
    if (model && isRerankError(error) && model.includes("/") && isFolder(model)) {
      throw new RerankError(
        error.code,
        `${error.message}\n"${model}" was read as a Hugging Face hub id; a folder of that name exists here: ` +
          `did you mean local:./${model}?`,
        { provider: "local", cause: error },
      );
    }
    throw error;
  }
}
