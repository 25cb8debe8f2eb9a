export {
  REGISTRY,
  DEFAULT_MODEL,
  COMMON_FILES,
  lookupModel,
  requireModel,
  filesFor,
  isPinned,
  registrySchema,
} from "./registry.js";
export type { RegistryModel, RegistryFile, ModelRef, Dtype } from "./registry.js";
export { hubSettings, DEFAULT_HUB_TIMEOUT_MS, type HubSettings } from "./settings.js";
export { snapshotDir, readRecord, sha256File, type FileRecord, type VerifiedBy } from "./cache.js";
export {
  downloadFile,
  DEFAULT_RETRY,
  DEFAULT_MAX_FILE_BYTES,
  type ProgressEvent,
  type RetryPolicy,
  type FileSpec,
} from "./download.js";
export { resolveModel, pullModel, verifyModel, listModels } from "./resolve.js";
export type { HubOptions, ResolvedModel, PullResult, VerifiedFile, ListedModel } from "./resolve.js";
export { listModelsDir, type ModelsDirEntry } from "./models-dir.js";
export { listWeightCopies, pruneWeightCopies, type WeightCopy, type PruneOptions } from "./weights.js";
export { parseModelName, isInside } from "./names.js";
export {
  isStaleTemp,
  STALE_AFTER_MS,
  createExclusive,
  makeDirBelow,
  realDir,
  realFile,
  writeFileBelow,
} from "./safe-fs.js";
export { MIN_BYTES_PER_WINDOW } from "./stall.js";
export {
  compareWeightSource,
  hashOpenFile,
  weightCopyKey,
  weightSourceInfo,
  type WeightCopyRecord,
  type WeightSourceInfo,
} from "./weight-record.js";
