/**
 * Git: validation of user-supplied repository URLs, refs and attribute paths, and a client that
 * runs the real git (ls-remote, shallow clone, commit info, branch push) with hardened protocols, an explicit
 * environment and credentials that never reach argv, logs or error messages.
 */
export { validateGitUrl, MAX_URL_LENGTH, type GitUrlPolicy, type ValidGitUrl } from './validate-url.js';
export {
  validateGitRef,
  validateAttrPath,
  isFullSha,
  MAX_REF_LENGTH,
  MAX_ATTR_LENGTH,
} from './validate-ref.js';
export { type GitCredentials } from './session.js';
export {
  GitClient,
  type GitClientOptions,
  type RemoteRef,
  type CommitInfo,
  type CloneOptions,
  type PushOptions,
} from './client.js';
