import { KilnError } from '../errors/index.js';

export const AUTH_HINT =
  'check the token (--git-token-file) or SSH key (--ssh-key-file) and its access to the repository';

/** What is known about a failed git call; `stderr` is already redacted. */
export interface GitFailure {
  /** The user-facing repository (the validated URL, which holds no credentials). */
  url: string;
  /** e.g. "main" for a ref lookup; shown in REF_NOT_FOUND messages. */
  ref?: string;
  stderr: readonly string[];
  exitCode: number | null;
  timedOut?: boolean;
  timeoutMs?: number;
}

const AUTH_PATTERNS = [
  /could not read (?:Username|Password)/i,
  /Authentication failed/i,
  /returned error: 40[13]\b/,
  /Permission denied \(/,
  /HTTP Basic: Access denied/i,
  /invalid credentials/i,
];
const HOST_KEY_PATTERNS = [/Host key verification failed/i, /REMOTE HOST IDENTIFICATION HAS CHANGED/i];
const REPO_PATTERNS = [
  /repository '.*' not found/i,
  /returned error: 404\b/,
  /does not appear to be a git repository/i,
  /Repository not found/i,
];
const UNREACHABLE_PATTERNS = [
  /Could not resolve host/i,
  /Failed to connect to/i,
  /Connection refused/i,
  /Connection timed out/i,
  /Could not resolve hostname/i,
  /No route to host/i,
  /Network is unreachable/i,
  /Connection reset/i,
  /Connection closed by/i,
];
const REF_PATTERNS = [
  /Remote branch .* not found in upstream/i,
  /not our ref/i,
  /couldn't find remote ref/i,
  /unadvertised object/i,
  /no such remote ref/i,
];

/**
 * Turns git's stderr (LC_ALL=C) into one of the actionable codes. Order matters: a 401 also prints
 * "not found"-like noise on some servers, and "Could not read from remote repository" follows
 * both ssh auth failures and missing repositories, so credentials are decided first.
 */
export function classifyGitFailure(failure: GitFailure): KilnError {
  const text = failure.stderr.join('\n');
  const detail = lastLines(failure.stderr);
  const details = { url: failure.url, ...(failure.ref !== undefined && { ref: failure.ref }) };
  if (failure.timedOut) {
    return new KilnError(
      'KILN_ERR_GIT',
      `git timed out after ${failure.timeoutMs ?? 0} ms on ${failure.url}`,
      details,
    );
  }
  if (HOST_KEY_PATTERNS.some((p) => p.test(text))) {
    return new KilnError(
      'KILN_ERR_GIT',
      `host key verification failed for ${failure.url}: the server's known hosts file does not list this host's key (or it changed)`,
      details,
    );
  }
  if (AUTH_PATTERNS.some((p) => p.test(text))) {
    return new KilnError('KILN_ERR_GIT_AUTH', `access to ${failure.url} was denied: ${AUTH_HINT}`, {
      ...details,
      git: detail,
    });
  }
  if (REF_PATTERNS.some((p) => p.test(text))) return refNotFound(failure.url, failure.ref);
  if (REPO_PATTERNS.some((p) => p.test(text))) {
    return new KilnError('KILN_ERR_GIT_REPO_NOT_FOUND', `repository ${failure.url} does not exist`, {
      ...details,
      git: detail,
    });
  }
  if (UNREACHABLE_PATTERNS.some((p) => p.test(text))) {
    return new KilnError(
      'KILN_ERR_GIT_REPO_NOT_FOUND',
      `repository ${failure.url} is not reachable: ${detail}`,
      {
        ...details,
        git: detail,
      },
    );
  }
  const status = failure.exitCode === null ? 'was killed' : `exited with code ${failure.exitCode}`;
  return new KilnError('KILN_ERR_GIT', `git ${status} on ${failure.url}${detail ? `: ${detail}` : ''}`, {
    ...details,
    git: detail,
  });
}

export function refNotFound(url: string, ref: string | undefined): KilnError {
  const what =
    ref === undefined ? 'has no default branch (is it empty?)' : `has no branch, tag or commit '${ref}'`;
  return new KilnError('KILN_ERR_GIT_REF_NOT_FOUND', `repository ${url} ${what}`, {
    url,
    ...(ref !== undefined && { ref }),
  });
}

/** The informative tail of stderr: git's `fatal:`/`error:` lines, else the last few lines. */
function lastLines(stderr: readonly string[]): string {
  const lines = stderr.map((l) => l.trim()).filter((l) => l !== '');
  const important = lines.filter(
    (l) => /^(fatal|error|remote|ERROR):/i.test(l) || /denied|refused|failed/i.test(l),
  );
  return (important.length > 0 ? important : lines).slice(-4).join('; ').slice(0, 1000);
}
