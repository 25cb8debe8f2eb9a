/**
 * Node's own import(), which webpack and Turbopack are told to leave alone: an optional package is then looked up
 * in node_modules at run time, as in plain Node, instead of failing the build or being replaced by a stub. The
 * specifier is a variable, so esbuild does not pull every optional package into a bundle either.
 */
export const nativeImport = (specifier: string): Promise<unknown> => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ specifier);
