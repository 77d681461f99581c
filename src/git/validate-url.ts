import { checkCommon, rejected } from './rejection.js';

export const MAX_URL_LENGTH = 2048;

export interface GitUrlPolicy {
  /** Allows file:// URLs and absolute local paths (off on servers, on in tests). */
  allowLocal: boolean;
  /** When given, the only hosts (exact names, case-insensitive) remote URLs may name. */
  allowedHosts?: readonly string[];
}

export interface ValidGitUrl {
  url: string;
  kind: 'https' | 'http' | 'ssh' | 'scp' | 'file';
  /** Lower-case host name (IPv6 without brackets); null for local repositories. */
  host: string | null;
}

const WHAT = 'git URL';
const USER = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+\]$/;
/** Paths of ssh, scp-like and local repositories: no quoting, no percent-encoding, no surprises. */
/** RFC 3986 path characters (unreserved, percent-escapes, sub-delims, ':' and '@'). */
const WEB_PATH = /^[A-Za-z0-9._~!$&'()*+,;=:@%/-]+$/;
const PLAIN_PATH = /^[A-Za-z0-9._~/+@-]+$/;
/** `<transport>::<address>` runs the git-remote-<transport> helper (ext:: runs any command). */
const REMOTE_HELPER = /^[A-Za-z0-9+._-]*::/;
const SCP_LIKE = /^(?:([^@/:]+)@)?([^@/:[\]]+|\[[^\]]*\]):(.*)$/;

const TOKEN_HINT = 'pass a token with --git-token-file (or an SSH key with --ssh-key-file) instead';

/**
 * Accepts https, http, ssh:// and scp-like (`git@host:owner/repo.git`) URLs, and file:// URLs and
 * absolute paths when the policy allows local repositories. Everything else, and anything git or
 * ssh could read as an option, a remote helper or an embedded credential, is a KILN_ERR_GIT_URL.
 */
export function validateGitUrl(url: string, policy: GitUrlPolicy): ValidGitUrl {
  checkCommon(WHAT, url, MAX_URL_LENGTH);
  if (REMOTE_HELPER.test(url)) {
    throw rejected(WHAT, "uses a git remote helper ('<transport>::'), which kiln does not allow");
  }
  if (url.includes('\\')) throw rejected(WHAT, 'must not contain a backslash');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  let valid: ValidGitUrl;
  if (scheme === 'https' || scheme === 'http') valid = webUrl(url, scheme);
  else if (scheme === 'ssh') valid = sshUrl(url);
  else if (scheme === 'file') valid = fileUrl(url, policy);
  else if (scheme !== undefined) {
    throw rejected(WHAT, `uses the unsupported scheme '${scheme}://'; use https://, ssh:// or git@host:path`);
  } else if (url.startsWith('/')) valid = localPath(url, policy);
  else if (SCP_LIKE.test(url)) valid = scpLike(url);
  else
    throw rejected(WHAT, 'is not a URL; use https://host/owner/repo.git, ssh://… or git@host:owner/repo.git');
  checkAllowedHost(valid, policy);
  return valid;
}

function webUrl(url: string, scheme: 'https' | 'http'): ValidGitUrl {
  const authority = url.slice(scheme.length + 3).split(/[/?#]/, 1)[0] ?? '';
  // Checked on the raw text: the WHATWG parser would silently normalise some of these away.
  if (authority.includes('@')) throw rejected(WHAT, `must not contain credentials; ${TOKEN_HINT}`);
  if (/[?#]/.test(url)) throw rejected(WHAT, "must not contain a query ('?') or fragment ('#')");
  const host = checkHostPort(authority);
  const path = url.slice(scheme.length + 3 + authority.length);
  if (path === '' || path === '/') throw rejected(WHAT, 'names no repository path');
  if (!WEB_PATH.test(path)) throw rejected(WHAT, 'has a path with characters a URL path may not contain');
  checkPathSegments(path, true);
  try {
    new URL(url);
  } catch {
    throw rejected(WHAT, 'is not a valid URL');
  }
  return { url, kind: scheme, host };
}

function sshUrl(url: string): ValidGitUrl {
  const rest = url.slice('ssh://'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) throw rejected(WHAT, 'names no repository path');
  const authority = rest.slice(0, slash);
  const path = rest.slice(slash);
  const at = authority.lastIndexOf('@');
  const user = at >= 0 ? authority.slice(0, at) : null;
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;
  if (user !== null) checkUser(user);
  const host = checkHostPort(hostPort);
  if (path === '/') throw rejected(WHAT, 'names no repository path');
  checkPlainPath(path);
  return { url, kind: 'ssh', host };
}

function scpLike(url: string): ValidGitUrl {
  const match = SCP_LIKE.exec(url);
  if (!match) throw rejected(WHAT, 'is not a valid scp-like URL (user@host:path)');
  const [, user, hostPart = '', path = ''] = match;
  if (user !== undefined) checkUser(user);
  const host = checkHost(hostPart);
  if (path === '') throw rejected(WHAT, 'names no repository path');
  if (path.startsWith('-')) throw rejected(WHAT, "has a path that starts with '-'");
  checkPlainPath(path);
  return { url, kind: 'scp', host };
}

function fileUrl(url: string, policy: GitUrlPolicy): ValidGitUrl {
  if (!policy.allowLocal) throw localDisabled();
  const path = url.slice('file://'.length);
  if (!path.startsWith('/')) throw rejected(WHAT, 'must be file:///absolute/path (no host)');
  checkPlainPath(path);
  return { url, kind: 'file', host: null };
}

function localPath(url: string, policy: GitUrlPolicy): ValidGitUrl {
  if (!policy.allowLocal) throw localDisabled();
  checkPlainPath(url);
  return { url, kind: 'file', host: null };
}

function localDisabled(): Error {
  return rejected(WHAT, 'names a local repository, which this server does not allow; use https:// or ssh://');
}

function checkUser(user: string): void {
  if (user.includes(':')) throw rejected(WHAT, `must not contain credentials; ${TOKEN_HINT}`);
  if (!USER.test(user)) throw rejected(WHAT, 'has an invalid user name');
}

/** Host names and IPv6 literals only: a host such as `-oProxyCommand=…` would be an ssh option. */
function checkHost(host: string): string {
  if (IPV6.test(host)) return host.slice(1, -1).toLowerCase();
  if (!HOST_NAME.test(host)) throw rejected(WHAT, 'has an invalid host name');
  return host.toLowerCase();
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`; returns the lower-case host without brackets. */
function checkHostPort(hostPort: string): string {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(hostPort);
  if (!match) throw rejected(WHAT, 'has an invalid host or port');
  const [, host = '', port] = match;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
    throw rejected(WHAT, 'has an invalid port');
  if (host === '') throw rejected(WHAT, 'names no host');
  return checkHost(host);
}

function checkPlainPath(path: string): void {
  if (!PLAIN_PATH.test(path)) {
    throw rejected(WHAT, 'has a path with characters other than letters, digits and . _ ~ / + @ -');
  }
  checkPathSegments(path, false);
}

/**
 * Rejects `.` and `..` path segments (also percent-encoded) even where git would resolve them:
 * a repository URL has no reason to climb. Percent-escapes may encode only printable ASCII.
 */
function checkPathSegments(path: string, percentEncoded: boolean): void {
  let decoded = path;
  if (percentEncoded) {
    for (const escape of path.matchAll(/%(.{0,2})/g)) {
      const code = /^[0-9A-Fa-f]{2}$/.test(escape[1] ?? '') ? parseInt(escape[1] ?? '', 16) : -1;
      if (code < 0x20 || code > 0x7e || code === 0x2f || code === 0x25 || code === 0x5c) {
        throw rejected(WHAT, 'has an invalid or disallowed percent-escape in its path');
      }
    }
    decoded = decodeURIComponent(path);
  }
  for (const segment of decoded.split('/')) {
    if (segment === '..' || segment === '.')
      throw rejected(WHAT, "must not contain '.' or '..' path segments");
  }
}

function checkAllowedHost(valid: ValidGitUrl, policy: GitUrlPolicy): void {
  if (policy.allowedHosts === undefined || valid.host === null) return;
  const host = valid.host;
  if (!policy.allowedHosts.some((allowed) => allowed.toLowerCase() === host)) {
    throw rejected(WHAT, `names the host '${host}', which is not in this server's allowed hosts`, { host });
  }
}
