/**
 * Notifications of a project's runs: the run's outcome (pure), the signed `run.finished` webhook,
 * and commit statuses on GitHub and Gitea, sent by RunNotifier on build status changes.
 */
export {
  runOutcome,
  runIdOf,
  isTerminal,
  type RunOutcome,
  type RunState,
  type FailedBuild,
} from './run-outcome.js';
export { parseForgeRepo, type ForgeRepo } from './forge-repo.js';
export {
  forgeState,
  statusRequest,
  postCommitStatus,
  MAX_DESCRIPTION,
  type CommitStatus,
  type ForgeState,
  type StatusForge,
  type StatusRequest,
} from './commit-status.js';
export {
  runFinishedEvent,
  runUrl,
  buildUrl,
  runCommit,
  RUN_FINISHED_EVENT,
  MAX_LISTED_BUILDS,
  type RunFinishedEvent,
} from './run-event.js';
export { RunNotifier, type NotifierPorts, type NotifySecrets } from './notifier.js';
