/** The library API: `import { NixBuildService, createKiln } from 'kiln'`. */
export {
  NixBuildService,
  NixCacheService,
  GitIntegration,
  NixPackaging,
  type PackageFileSummary,
  type PathHash,
  type NixExpressionBuildOptions,
  type GitRepositoryBuildOptions,
  type TemplateBuildOptions,
  type BuildStatistics,
  type PipelineOptions,
  type PipelineResult,
  type CloneRepositoryOptions,
  type WorkerCacheOptions,
  type WorkerNixConfig,
  type CacheStatistics,
  type CacheCommonPackagesResult,
  type OptimiseResult,
} from './library/index.js';
export {
  createKiln,
  startKilnServer,
  type Kiln,
  type CreateKilnOptions,
  type RunningServer,
} from './main/index.js';
export { KilnError, isKilnError, type ErrorCode } from './errors/index.js';
export { loadConfig, type KilnConfig } from './config/index.js';
export type { BuildRecord, BuildStatus, LogLine } from './persistence/index.js';
export type { BuildDetails, Statistics, CleanupResult, BuildSubmission } from './builds/index.js';
export type {
  BumpOptions,
  BumpResult,
  HashChange,
  PrefetchOptions,
  PrefetchResult,
  HashSite,
  VersionSite,
  FetcherCall,
  TextEdit,
} from './packaging/index.js';
export { createPackagingTools, type PackagingTools } from './main/index.js';
