/**
 * Where the inference worker's code comes from when crossrank runs from its TypeScript sources (the repository's
 * tsx scripts). The published build replaces this module with one that carries the bundled worker as a string
 * (tsup.config.ts), so built code has no worker file to find and no build path in it.
 */
export function inferenceWorkerEntry(): { entry: URL | string; eval: boolean } {
  const file = new URL("./inference-worker.ts", import.meta.url);
  // A worker does not inherit tsx's loader: a small bootstrap registers it before importing the TypeScript entry.
  const loader = process.execArgv.find((a) => /tsx\/dist\/loader\.mjs$/.test(a));
  if (!loader) return { entry: file, eval: false };
  const api = loader.replace(/loader\.mjs$/, "esm/api/index.mjs");
  return { entry: `import(${JSON.stringify(api)}).then((m) => m.register()).then(() => import(${JSON.stringify(file.href)}))`, eval: true };
}
