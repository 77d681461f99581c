export { BuildService, type BuildServiceDeps } from './service.js';
export { canTransition, isTerminal, assertTransition } from './lifecycle.js';
export { EvaluationBatcher, type EvaluationRequest } from './evaluation-batcher.js';
export { executeBuild, type ExecutorDeps } from './executor.js';
export { BuildEvents } from './events.js';
export { computeStatistics, type StatisticsQuery } from './stats.js';
export {
  computeTimeline,
  planBuckets,
  timelinePoint,
  type BucketPlan,
  type BuildTimeline,
  type TimelinePoint,
} from './timeline.js';
export { cleanupBuilds } from './cleanup.js';
export { rootedByBuild } from './gc-roots.js';
export { recoverInterruptedBuilds, type OwnerState, type RecoveryReason } from './recovery.js';
export { parseDuration } from './duration.js';
export { newBuildId, BUILD_ID_PATTERN } from './ids.js';
export { validateSubmission, type SubmissionLimits } from './validation.js';
export {
  MatrixSteps,
  childBuilds,
  EVAL_FAILED_REASON,
  IN_CACHE_REASON,
  type MatrixStepsDeps,
  type MatrixExpansion,
} from './matrix-step.js';
export {
  planMatrix,
  groupStatus,
  type GroupStatus,
  type MatrixPlan,
  type PlanInput,
  type PlanJob,
  type PlannedChild,
} from './matrix-plan.js';
export type {
  BuildRunner,
  CachedPaths,
  MatrixRunner,
  OrphanKiller,
  PushOutputs,
  PushReport,
  RealiseRequest,
  RealiseResult,
} from './ports.js';
export type {
  BuildSubmission,
  BuildDetails,
  BuildEvent,
  Statistics,
  CleanupResult,
  ExprSource,
  GitSource,
  TemplateSource,
  SourceCredentials,
} from './types.js';
export {
  GitBuildPreparer,
  flakeAttrPath,
  gitCacheKey,
  hostSystem,
  type GitBuildsDeps,
  type GitPort,
  type CredentialSeal,
} from './git-source.js';
export {
  ImageSteps,
  checkImageReference,
  registryHost,
  timestampTag,
  runtimeConfig,
  type ImageSettings,
  type PreparedImage,
  type TaggableManifest,
} from './image-step.js';
export { DeployHooks, type DeploySettings } from './deploy-step.js';
export { KeyedLock } from './keyed-lock.js';
export {
  VersionSyncService,
  type VersionSync,
  type VersionSyncDeps,
  type SecretSeal,
  type HookAnswer,
} from './version-sync.js';
export {
  validateVersionSync,
  versionFromTag,
  renderBranch,
  compileTagPattern,
  checkRepositoryPath,
  DEFAULT_BRANCH_TEMPLATE,
  DEFAULT_TAG_PATTERN,
  type VersionSyncInput,
  type ValidVersionSync,
} from './version-sync-config.js';
export {
  BumpSteps,
  bumpEvidence,
  type BumpStepsDeps,
  type BumpGitPort,
  type OpenedSync,
  type ClonedSync,
} from './bump-step.js';
