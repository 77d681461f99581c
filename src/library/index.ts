export {
  NixBuildService,
  type NixExpressionBuildOptions,
  type GitRepositoryBuildOptions,
  type TemplateBuildOptions,
  type BuildStatistics,
  type PipelineOptions,
  type PipelineResult,
} from './nix-build-service.js';
export { GitIntegration, type CloneRepositoryOptions } from './git-integration.js';
export {
  NixCacheService,
  planWorkerNixConfig,
  parseOptimiseOutput,
  type WorkerCacheOptions,
  type WorkerNixConfig,
  type WorkerNixConfigInput,
  type CacheStatistics,
  type CachedPackage,
  type CacheCommonPackagesResult,
  type OptimiseResult,
} from './nix-cache-service.js';
export { NixPackaging, type PackageFileSummary, type PathHash } from './nix-packaging.js';
