import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { RerankError } from "./errors.js";
import { registeredProvider, type ProviderModule } from "./provider-registry.js";
import { nativeImport } from "./native-import.js";
import { callerFile } from "./runtime-location.js";

function isMissing(error: unknown, packageName: string): boolean {
  const e = error as { code?: string; message?: string };
  return (
    (e?.code === "ERR_MODULE_NOT_FOUND" || e?.code === "MODULE_NOT_FOUND") &&
    typeof e.message === "string" &&
    e.message.includes(packageName)
  );
}

/** True when this module is not running from its own package folder: a bundler copied it into its output. */
function coreIsBundled(): boolean {
  const file = callerFile();
  return file === undefined || !/[\\/]@crossrank[\\/]core[\\/]|[\\/]packages[\\/]core[\\/]/.test(file);
}

function notFound(provider: string, packageName: string, cause: unknown): RerankError {
  if (coreIsBundled()) {
    return new RerankError(
      "PROVIDER_NOT_INSTALLED",
      `the "${provider}" provider's package ${packageName} is not in this bundle, and it could not be loaded from node_modules at run time either. Import it once in your app so the bundler includes it: import "${packageName}"; (if it is not installed yet: npm install ${packageName})`,
      { provider, cause },
    );
  }
  return new RerankError(
    "PROVIDER_NOT_INSTALLED",
    `the "${provider}" provider needs the ${packageName} package, which is not installed. Install it with: npm install ${packageName} (or pnpm add ${packageName}, yarn add ${packageName})`,
    { provider, cause },
  );
}

/**
 * Provider packages are optional peers, so an app installs just the backend it uses. A package the app has
 * imported has registered itself (the bundler-proof path); otherwise it is imported by name from node_modules,
 * first as this package sees it, then from the app's folder (strict installs such as pnpm may not link an
 * optional peer next to @crossrank/core).
 */
export async function loadProviderModule(provider: string, packageName: string): Promise<ProviderModule> {
  const registered = registeredProvider(provider);
  if (registered) return registered;
  let mod: unknown;
  try {
    mod = await nativeImport(packageName);
  } catch (error) {
    if (!isMissing(error, packageName)) throw wrapLoadError(provider, packageName, error);
    let fromApp: string;
    try {
      fromApp = createRequire(join(process.cwd(), "package.json")).resolve(packageName);
    } catch {
      throw notFound(provider, packageName, error);
    }
    try {
      mod = await nativeImport(pathToFileURL(fromApp).href);
    } catch (loadError) {
      throw wrapLoadError(provider, packageName, loadError);
    }
  }
  const module = registeredProvider(provider) ?? (mod as ProviderModule);
  if (typeof module?.createProvider !== "function") {
    throw new RerankError("PROVIDER_NOT_INSTALLED", `${packageName} does not export createProvider(); install a version matching @crossrank/core`, { provider });
  }
  return module;
}

function wrapLoadError(provider: string, packageName: string, error: unknown): RerankError {
  const message = error instanceof Error ? error.message : String(error);
  return new RerankError("PROVIDER_ERROR", `could not load ${packageName} for the "${provider}" provider: ${message}`, { provider, cause: error });
}
