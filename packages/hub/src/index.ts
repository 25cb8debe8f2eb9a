export { REGISTRY, DEFAULT_MODEL, COMMON_FILES, lookupModel, filesFor, isPinned, registrySchema } from "./registry.js";
export type { RegistryModel, RegistryFile, ModelRef, Dtype } from "./registry.js";
export { hubSettings, type HubSettings } from "./settings.js";
export { snapshotDir, readRecord, sha256File, type FileRecord } from "./cache.js";
export { downloadFile, DEFAULT_RETRY, type ProgressEvent, type RetryPolicy, type FileSpec } from "./download.js";
export { resolveModel, pullModel, verifyModel, listModels } from "./resolve.js";
export type { HubOptions, ResolvedModel, PullResult, VerifiedFile, ListedModel } from "./resolve.js";
