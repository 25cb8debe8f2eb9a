import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { RerankError } from "./errors.js";
import type { RerankProvider } from "./types.js";

/** What a provider package exports for `createReranker`. */
export interface ProviderModule {
  createProvider(config: unknown): Promise<RerankProvider>;
}

function isMissing(error: unknown, packageName: string): boolean {
  const e = error as { code?: string; message?: string };
  return (
    (e?.code === "ERR_MODULE_NOT_FOUND" || e?.code === "MODULE_NOT_FOUND") &&
    typeof e.message === "string" &&
    e.message.includes(packageName)
  );
}

/**
 * Provider packages are optional peers, imported only when a config names them, so an app installs just the
 * backend it uses. Strict installs (pnpm) may not link an optional peer next to this package, so the app's
 * own folder is tried second.
 */
export async function loadProviderModule(provider: string, packageName: string): Promise<ProviderModule> {
  let mod: unknown;
  try {
    mod = await import(packageName);
  } catch (error) {
    if (!isMissing(error, packageName)) throw wrapLoadError(provider, packageName, error);
    try {
      const fromApp = createRequire(join(process.cwd(), "package.json")).resolve(packageName);
      mod = await import(pathToFileURL(fromApp).href);
    } catch {
      throw new RerankError(
        "PROVIDER_NOT_INSTALLED",
        `the "${provider}" provider needs the ${packageName} package, which is not installed. Install it with: npm install ${packageName} (or pnpm add ${packageName}, yarn add ${packageName})`,
        { provider, cause: error },
      );
    }
  }
  if (typeof (mod as ProviderModule)?.createProvider !== "function") {
    throw new RerankError("PROVIDER_NOT_INSTALLED", `${packageName} does not export createProvider(); install a version matching @crossrank/core`, { provider });
  }
  return mod as ProviderModule;
}

function wrapLoadError(provider: string, packageName: string, error: unknown): RerankError {
  const message = error instanceof Error ? error.message : String(error);
  return new RerankError("PROVIDER_ERROR", `could not load ${packageName} for the "${provider}" provider: ${message}`, { provider, cause: error });
}
