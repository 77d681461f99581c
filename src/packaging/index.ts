/**
 * Packaging automation: archives unpacked and hashed as Nix does, `kiln prefetch`, a
 * byte-preserving Nix parser for editing package files, and `kiln bump` (new version, every
 * fixed-output hash recomputed, the build proved, a branch handed over).
 */
// -- archives and prefetch (src/packaging/archive, src/packaging/prefetch)
export { unpackArchive, type UnpackOptions, type UnpackResult } from './archive/unpack.js';
export { detectArchiveFormat, type ArchiveFormat } from './archive/detect.js';
export { prefetch, type PrefetchOptions, type PrefetchResult } from './prefetch/prefetch.js';
export {
  classifySource,
  defaultPrefetchName,
  type ClassifiedSource,
  type PrefetchSourceKind,
} from './prefetch/source.js';
// -- Nix syntax for editing (src/packaging/syntax)
export {
  parseNix,
  printNix,
  renderNixString,
  applyEdits,
  findAttributes,
  findVersion,
  findHashAttributes,
  findFetchers,
  type TextEdit,
  type AttributeSite,
  type StringLiteral,
  type HashSite,
  type VersionSite,
  type FetcherCall,
  type NixDocument,
  type NixNode,
  type NixExpr,
  type NixChild,
  type NixToken,
  type Span,
} from './syntax/nix-syntax.js';
// -- bump (src/packaging/bump)
export { bumpPackage, type BumpDependencies, type BumpNix, type SourcePrefetcher } from './bump/engine.js';
export type { BumpOptions, BumpResult, HashChange, HashMethod } from './bump/types.js';
export type { BranchCommit } from './bump/commit.js';
export type { SmokeEvidence } from './bump/smoke.js';
