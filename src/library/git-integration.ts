import {
  GitClient,
  validateGitRef,
  validateGitUrl,
  type CommitInfo,
  type GitClientOptions,
  type GitUrlPolicy,
  type ValidGitUrl,
} from '../git/index.js';

/** `--depth` large enough to fetch every commit. */
const FULL_HISTORY = 2 ** 31 - 1;

/** Seed 002's cloneRepository options, under the same names. */
export interface CloneRepositoryOptions {
  branch?: string;
  /** Default true; false fetches the whole history. */
  shallow?: boolean;
  depth?: number;
  accessToken?: string;
  sshPrivateKey?: string;
  submodules?: boolean;
  signal?: AbortSignal;
}

/**
 * Seed 002's GitIntegration: URL validation, authenticated shallow clones and commit info, with
 * the same hardening as builds (no shell, no secrets in argv, protocols pinned).
 */
export class GitIntegration {
  readonly #client: GitClient;
  readonly #policy: GitUrlPolicy;

  constructor(options: { policy?: GitUrlPolicy; client?: GitClientOptions } = {}) {
    this.#policy = options.policy ?? { allowLocal: false };
    this.#client = new GitClient(options.client);
  }

  /** The URL's kind and host, or KILN_ERR_GIT_URL with the reason. */
  validateGitUrl(url: string): ValidGitUrl {
    return validateGitUrl(url, this.#policy);
  }

  /** Resolves the branch (default: HEAD) to a commit: checks the repository, ref and credentials. */
  async validateBranchAccess(
    url: string,
    branch: string | undefined,
    credentials: { accessToken?: string; sshPrivateKey?: string } = {},
  ): Promise<{ commit: string; ref: string }> {
    const valid = this.validateGitUrl(url);
    if (branch !== undefined) validateGitRef(branch);
    return this.#client.lsRemote(valid, branch, {
      ...(credentials.accessToken !== undefined && { token: credentials.accessToken }),
      ...(credentials.sshPrivateKey !== undefined && { sshPrivateKey: credentials.sshPrivateKey }),
    });
  }

  async cloneRepository(
    url: string,
    targetDir: string,
    options: CloneRepositoryOptions = {},
  ): Promise<{ dir: string; commit: string }> {
    const valid = this.validateGitUrl(url);
    if (options.branch !== undefined) validateGitRef(options.branch);
    const { commit } = await this.#client.clone(valid, options.branch, targetDir, {
      credentials: {
        ...(options.accessToken !== undefined && { token: options.accessToken }),
        ...(options.sshPrivateKey !== undefined && { sshPrivateKey: options.sshPrivateKey }),
      },
      depth: options.shallow === false ? FULL_HISTORY : (options.depth ?? 1),
      ...(options.submodules !== undefined && { submodules: options.submodules }),
      ...(options.signal !== undefined && { signal: options.signal }),
    });
    return { dir: targetDir, commit };
  }

  getCommitInfo(dir: string, rev?: string): Promise<CommitInfo> {
    return this.#client.commitInfo(dir, rev);
  }
}
