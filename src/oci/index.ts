/**
 * OCI images from Nix closures: a deterministic tar writer, nixpkgs' popularity-contest layering,
 * the image's JSON documents, and an image builder that writes an OCI image layout directory.
 * The registry client (./registry) is part of this context and is exported from here too.
 */
export {
  writeTar,
  sortTarEntries,
  paxRecord,
  TAR_MTIME,
  DIR_MODE,
  FILE_MODE,
  EXECUTABLE_MODE,
  type TarEntry,
  type TarFile,
  type TarDirectory,
  type TarSymlink,
} from './tar.js';
export {
  planLayers,
  orderByPopularity,
  packageName,
  DEFAULT_MAX_LAYERS,
  type ClosureGraph,
  type ClosurePath,
  type LayerPlan,
  type PlannedLayer,
  type PlanOptions,
} from './layers.js';
export {
  MEDIA_TYPES,
  IMAGE_CREATED,
  sha256Digest,
  describe as describeDocument,
  platformOfSystem,
  configDocument,
  manifestDocument,
  indexDocument,
  ociLayoutDocument,
  type Descriptor,
  type Platform,
  type ImageRuntimeConfig,
  type HistoryEntry,
  type ConfigInput,
} from './documents.js';
export { storePathEntries, customisationEntries, type CustomisationOptions } from './layer-entries.js';
export {
  buildImage,
  writeLayerBlob,
  type BuildImageOptions,
  type BuiltImage,
  type BuiltLayer,
  type LayerCompression,
} from './image.js';
export { nixClosureGraph, parsePathInfo, type NixClosureOptions } from './closure.js';
export * from './registry/index.js';
