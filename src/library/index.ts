export { NixBuildService, type NixExpressionBuildOptions } from './nix-build-service.js';
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
