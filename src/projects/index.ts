/**
 * Projects: Git repositories kiln builds on push (forge webhooks), with what to build, where
 * results go and a concurrency group per branch.
 */
export {
  ProjectService,
  runSubmission,
  imageTagFor,
  type Project,
  type ProjectBuildRequest,
  type ProjectHookAnswer,
  type ProjectSeal,
  type ProjectServiceDeps,
} from './service.js';
export { type ProjectInput, type ProjectSecrets, DEFAULT_GROUP } from './config.js';
export { globToRegExp, matchesAny, renderGroup } from './glob.js';
