import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The file that holds the code calling this function, read from the running stack: in a bundle, the bundle's
 * own output file wherever it was moved; in node_modules, the package's file. Unlike `import.meta.url`, which
 * webpack replaces with the build machine's path, it is never fixed at build time. undefined when the caller was
 * evaluated code with no file (a dev server's eval'd modules).
 */
export function callerFile(): string | undefined {
  const prepare = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_, frames) => frames;
    const frames = new Error().stack as unknown as NodeJS.CallSite[] | undefined;
    const name = frames?.[1]?.getFileName();
    if (!name) return undefined;
    if (name.startsWith("file:")) return fileURLToPath(name);
    return isAbsolute(name) ? name : undefined;
  } catch {
    return undefined;
  } finally {
    Error.prepareStackTrace = prepare;
  }
}
