import { KilnError } from '../errors/index.js';

/** A repository on GitHub or Gitea: always exactly `owner/name`. */
export interface ForgeRepo {
  host: string;
  owner: string;
  repo: string;
}

/** GitHub's and Gitea's rules for user, organisation and repository names (a safe subset). */
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

function refuse(url: string, why: string): never {
  throw new KilnError('KILN_ERR_VALIDATION', `cannot post commit statuses for ${shown(url)}: ${why}`, {
    url: shown(url),
  });
}

/** The URL as it may appear in an error: no userinfo (a token may be there). */
function shown(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

/**
 * The owner and repository of a GitHub or Gitea repository URL: `https://host/owner/repo(.git)`,
 * `ssh://git@host[:port]/owner/repo.git` or `git@host:owner/repo.git`. Nested paths (GitLab
 * groups, a forge under a sub-path) are refused: these forges' status API names `owner/repo`.
 */
export function parseForgeRepo(url: string): ForgeRepo {
  const trimmed = url.trim();
  let host: string;
  let path: string;
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(trimmed);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    let parsed: URL;
    try {
      parsed = new URL(trimmed);
    } catch {
      return refuse(url, 'not a URL');
    }
    if (!['https:', 'http:', 'ssh:', 'git:'].includes(parsed.protocol)) {
      refuse(url, `the scheme ${parsed.protocol} is not https, http, ssh or git`);
    }
    if (parsed.search !== '' || parsed.hash !== '') refuse(url, 'a repository URL has no query or fragment');
    host = parsed.hostname;
    path = decodeURIComponent(parsed.pathname);
  } else if (scp !== null && scp[1] !== undefined && scp[2] !== undefined) {
    host = scp[1];
    path = scp[2];
  } else {
    return refuse(url, 'not an https, ssh or scp-style (git@host:owner/repo) repository URL');
  }
  const parts = path
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .split('/');
  if (parts.length > 2) {
    refuse(
      url,
      `the path has ${parts.length} parts (nested groups?); GitHub and Gitea repositories are owner/name`,
    );
  }
  const [owner, repo] = parts;
  if (owner === undefined || repo === undefined || owner === '' || repo === '') {
    refuse(url, 'the path is not owner/name');
  }
  for (const name of [owner, repo]) {
    if (!NAME.test(name) || name === '.' || name === '..')
      refuse(url, `'${name}' is not a valid owner or repository name`);
  }
  if (host === '') refuse(url, 'no host');
  return { host: host.toLowerCase(), owner, repo };
}
