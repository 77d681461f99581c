import {
  isObject,
  isRefused,
  openHookRequest,
  type HookHeaders,
  type HookProvider,
  type Json,
} from './forge-request.js';

/** Where the pushed repository lives, as the forge describes it (not trusted for cloning). */
export interface PushRepository {
  cloneUrl: string | null;
  sshUrl: string | null;
  webUrl: string | null;
  /** `owner/name` (GitLab: the path with its namespace). */
  fullName: string | null;
}

export interface PushHeadCommit {
  message: string;
  author: string | null;
  /** ISO 8601 as the forge sent it. */
  timestamp: string | null;
}

/** What an incoming push webhook asks for, once its signature is checked. */
export type PushHook =
  /** Missing or wrong signature (or token): act on nothing. */
  | { kind: 'unauthorized'; reason: string }
  /** Signed, but the body is not what the forge sends (not JSON, a field of the wrong shape...). */
  | { kind: 'invalid'; provider: HookProvider; reason: string }
  /** Signed and well-formed, but nothing to build: a ping, a deletion, another event. */
  | { kind: 'ignored'; provider: HookProvider; deliveryId: string | null; reason: string }
  | {
      kind: 'push' | 'tag';
      provider: HookProvider;
      deliveryId: string | null;
      /** The full ref: `refs/heads/main`, `refs/tags/v1.2`. */
      ref: string;
      branch: string | null;
      tag: string | null;
      /** The commit to build: `after` (GitLab: `checkout_sha`, which peels annotated tags). */
      commit: string;
      before: string | null;
      /** The pusher's login (or name when the forge gives no login). */
      pusher: string | null;
      repository: PushRepository;
      headCommit: PushHeadCommit | null;
    };

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const ZERO_SHA = /^(?:0{40}|0{64})$/;
const MAX_REF_LENGTH = 1024;

/** A field of the wrong type or shape: the payload is refused with this message. */
class PayloadError extends Error {}

/** Optional string field: absent or null is null; any other non-string is an error. */
function optionalString(object: Json, field: string, where = ''): string | null {
  const value = object[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new PayloadError(`${where}${field} must be a string`);
  return value;
}

function requiredString(object: Json, field: string): string {
  const value = optionalString(object, field);
  if (value === null) throw new PayloadError(`${field} is missing`);
  return value;
}

function optionalObject(object: Json, field: string, where = ''): Json | null {
  const value = object[field];
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw new PayloadError(`${where}${field} must be an object`);
  return value;
}

function sha(value: string, field: string): string {
  const lower = value.toLowerCase();
  if (!SHA.test(lower)) {
    throw new PayloadError(
      `${field} is not a commit SHA (40 or 64 hex digits): ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  return lower;
}

/**
 * A full ref, checked with git's own rules (check-ref-format) that matter here: no `..`, no
 * control characters, spaces or `~^:?*[\`, no `@{`, no component starting with `.` or ending in
 * `.lock`, no empty component.
 */
function checkRef(ref: string): void {
  const bad = (why: string): never => {
    throw new PayloadError(`ref ${JSON.stringify(ref.slice(0, 80))} is not a valid Git ref: ${why}`);
  };
  if (ref.length > MAX_REF_LENGTH) bad(`longer than ${MAX_REF_LENGTH} characters`);
  if (!ref.startsWith('refs/')) bad('it does not start with refs/');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) bad('it contains a space, a control character or one of ~^:?*[\\');
  if (ref.includes('..')) bad('it contains ..');
  if (ref.includes('@{')) bad('it contains @{');
  if (ref.endsWith('.')) bad('it ends with .');
  for (const part of ref.split('/')) {
    if (part === '') bad('it has an empty component');
    if (part.startsWith('.')) bad('a component starts with .');
    if (part.endsWith('.lock')) bad('a component ends with .lock');
  }
}

type RefKind = { kind: 'push'; branch: string } | { kind: 'tag'; tag: string } | { other: string };

function refKind(ref: string): RefKind {
  if (ref.startsWith('refs/heads/')) return { kind: 'push', branch: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/')) return { kind: 'tag', tag: ref.slice('refs/tags/'.length) };
  return { other: ref };
}

/** The commit named `id` in the payload's `commits`, if it is there and well-formed. */
function commitById(payload: Json, id: string): Json | null {
  const commits = payload['commits'];
  if (commits === undefined || commits === null) return null;
  if (!Array.isArray(commits)) throw new PayloadError('commits must be an array');
  for (const commit of commits as unknown[]) {
    if (isObject(commit) && typeof commit['id'] === 'string' && commit['id'].toLowerCase() === id) {
      return commit;
    }
  }
  return null;
}

function headCommitOf(commit: Json | null, where: string): PushHeadCommit | null {
  if (commit === null) return null;
  const author = optionalObject(commit, 'author', where);
  return {
    message: optionalString(commit, 'message', where) ?? '',
    author: author === null ? null : optionalString(author, 'name', `${where}author.`),
    timestamp: optionalString(commit, 'timestamp', where),
  };
}

type Parsed =
  { ignored: string } | Omit<Extract<PushHook, { kind: 'push' | 'tag' }>, 'provider' | 'deliveryId'>;

function refAndKind(payload: Json): { ref: string; kind: RefKind } {
  const ref = requiredString(payload, 'ref');
  checkRef(ref);
  return { ref, kind: refKind(ref) };
}

function result(
  ref: string,
  kind: Extract<RefKind, { kind: string }>,
  fields: Pick<
    Extract<Parsed, { ref: string }>,
    'commit' | 'before' | 'pusher' | 'repository' | 'headCommit'
  >,
): Parsed {
  return {
    kind: kind.kind,
    ref,
    branch: kind.kind === 'push' ? kind.branch : null,
    tag: kind.kind === 'tag' ? kind.tag : null,
    ...fields,
  };
}

/** GitHub and Gitea: one `push` event for branches and tags alike. */
function githubStyle(provider: 'github' | 'gitea', event: string, payload: Json): Parsed {
  if (event === 'ping') return { ignored: 'a ping (the webhook was set up), not a push' };
  if (event !== 'push') return { ignored: `event '${event}' is not a push` };
  const { ref, kind } = refAndKind(payload);
  const after = sha(requiredString(payload, 'after'), 'after');
  if (payload['deleted'] === true || ZERO_SHA.test(after)) return { ignored: `${ref} was deleted` };
  if ('other' in kind) return { ignored: `a push to ${ref}, not to a branch or a tag` };
  const beforeText = optionalString(payload, 'before');
  const before = beforeText === null ? null : sha(beforeText, 'before');
  const pusherObject = optionalObject(payload, 'pusher');
  // GitHub's pusher is {name: login, email}; Gitea's is a user with login and username.
  const pusher =
    pusherObject === null
      ? null
      : provider === 'gitea'
        ? (optionalString(pusherObject, 'login', 'pusher.') ??
          optionalString(pusherObject, 'username', 'pusher.'))
        : optionalString(pusherObject, 'name', 'pusher.');
  const repo = optionalObject(payload, 'repository') ?? {};
  const head = optionalObject(payload, 'head_commit') ?? commitById(payload, after);
  return result(ref, kind, {
    commit: after,
    before: before === null || ZERO_SHA.test(before) ? null : before,
    pusher,
    repository: {
      cloneUrl: optionalString(repo, 'clone_url', 'repository.'),
      sshUrl: optionalString(repo, 'ssh_url', 'repository.'),
      webUrl: optionalString(repo, 'html_url', 'repository.'),
      fullName: optionalString(repo, 'full_name', 'repository.'),
    },
    headCommit: headCommitOf(head, 'head_commit.'),
  });
}

/** GitLab: `Push Hook` for branches, `Tag Push Hook` for tags. */
function gitlabStyle(event: string, payload: Json): Parsed {
  if (event !== 'Push Hook' && event !== 'Tag Push Hook') {
    return { ignored: `event '${event}' is not a push or a tag push` };
  }
  const { ref, kind } = refAndKind(payload);
  const after = sha(requiredString(payload, 'after'), 'after');
  // A deletion: `after` is zeros and there is nothing to check out.
  const checkoutText = optionalString(payload, 'checkout_sha');
  if (ZERO_SHA.test(after) || checkoutText === null) return { ignored: `${ref} was deleted` };
  if ('other' in kind) return { ignored: `a push to ${ref}, not to a branch or a tag` };
  if (event === 'Tag Push Hook' && kind.kind !== 'tag') {
    throw new PayloadError(`a Tag Push Hook for ${ref}, which is not a tag`);
  }
  if (event === 'Push Hook' && kind.kind !== 'push') {
    throw new PayloadError(`a Push Hook for ${ref}, which is not a branch`);
  }
  const commit = sha(checkoutText, 'checkout_sha');
  const beforeText = optionalString(payload, 'before');
  const before = beforeText === null ? null : sha(beforeText, 'before');
  const project = optionalObject(payload, 'project') ?? {};
  const repo = optionalObject(payload, 'repository') ?? {};
  const either = (field: string, repoField: string): string | null =>
    optionalString(project, field, 'project.') ?? optionalString(repo, repoField, 'repository.');
  return result(ref, kind, {
    commit,
    before: before === null || ZERO_SHA.test(before) ? null : before,
    pusher: optionalString(payload, 'user_username') ?? optionalString(payload, 'user_name'),
    repository: {
      cloneUrl: either('git_http_url', 'git_http_url'),
      sshUrl: either('git_ssh_url', 'git_ssh_url'),
      webUrl: either('web_url', 'homepage'),
      fullName: optionalString(project, 'path_with_namespace', 'project.'),
    },
    headCommit: headCommitOf(commitById(payload, commit), 'commits[].'),
  });
}

/**
 * Reads a forge's push webhook (branch or tag): the signature first (over the raw body), then
 * the event and its fields, each checked. GitHub `push` (and `ping`), GitLab `Push Hook` and
 * `Tag Push Hook`, Gitea `push`; other events (Gitea's `create`, releases...) are ignored.
 */
export function readPushHook(headers: HookHeaders, rawBody: Uint8Array, secret: string): PushHook {
  const opened = openHookRequest(headers, rawBody, secret);
  if (isRefused(opened)) return opened;
  const { provider, event, deliveryId, payload } = opened;
  let parsed: Parsed;
  try {
    parsed = provider === 'gitlab' ? gitlabStyle(event, payload) : githubStyle(provider, event, payload);
  } catch (error) {
    if (error instanceof PayloadError) {
      return {
        kind: 'invalid',
        provider,
        reason: `the ${provider} push payload is invalid: ${error.message}`,
      };
    }
    throw error;
  }
  if ('ignored' in parsed) return { kind: 'ignored', provider, deliveryId, reason: parsed.ignored };
  return { ...parsed, provider, deliveryId };
}
