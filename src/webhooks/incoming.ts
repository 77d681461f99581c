import {
  isObject,
  isRefused,
  openHookRequest,
  type HookHeaders,
  type HookProvider,
  type Json,
} from './forge-request.js';

export {
  hookProvider,
  verifyHook,
  deliveryId,
  type HookHeaders,
  type HookProvider,
} from './forge-request.js';

/** What an incoming release/tag webhook asks for, once its signature is checked. */
export type ReleaseHook =
  /** Missing or wrong signature (or token): act on nothing. */
  | { kind: 'unauthorized'; reason: string }
  /** Signed, but the body is not a JSON object. */
  | { kind: 'invalid'; provider: HookProvider; reason: string }
  /** Signed and well-formed, but not a new release or tag (a branch push, a ping, a deletion...). */
  | { kind: 'ignored'; provider: HookProvider; deliveryId: string | null; reason: string }
  | { kind: 'tag'; provider: HookProvider; deliveryId: string | null; event: string; tag: string };

const MAX_TAG_LENGTH = 255;

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

type Extracted = { tag: string } | { ignored: string };

function tagOfRef(ref: string | undefined): Extracted {
  if (ref === undefined) return { ignored: 'the push names no ref' };
  if (ref.startsWith('refs/heads/')) return { ignored: `a branch push (${ref}), not a tag` };
  if (!ref.startsWith('refs/tags/')) return { ignored: `a push to ${ref}, not a tag` };
  return { tag: ref.slice('refs/tags/'.length) };
}

const ZERO_SHA = /^0{40}$|^0{64}$/;

/** GitHub and Gitea: `release` (published or released) and `push` of a new tag. */
function githubStyle(event: string, payload: Json): Extracted {
  if (event === 'release') {
    const action = text(payload['action']);
    if (action !== 'published' && action !== 'released') {
      return { ignored: `release action '${action ?? '?'}' (only published and released count)` };
    }
    const release = payload['release'];
    const tag = isObject(release) ? text(release['tag_name']) : undefined;
    return tag === undefined ? { ignored: 'the release names no tag' } : { tag };
  }
  if (event === 'push') {
    if (payload['deleted'] === true || ZERO_SHA.test(text(payload['after']) ?? '')) {
      return { ignored: 'a deleted ref' };
    }
    const found = tagOfRef(text(payload['ref']));
    // GitHub says `created: false` when an existing tag is moved: not a new release.
    if ('tag' in found && payload['created'] === false)
      return { ignored: `tag ${found.tag} was updated, not created` };
    return found;
  }
  return { ignored: `event '${event}' is not a release or a push` };
}

/** GitLab: `Tag Push Hook` of a new tag, `Release Hook` of a created release. */
function gitlabStyle(event: string, payload: Json): Extracted {
  if (event === 'Tag Push Hook') {
    if (ZERO_SHA.test(text(payload['after']) ?? '')) return { ignored: 'a deleted tag' };
    return tagOfRef(text(payload['ref']));
  }
  if (event === 'Release Hook') {
    const action = text(payload['action']);
    if (action !== undefined && action !== 'create') {
      return { ignored: `release action '${action}' (only create counts)` };
    }
    const tag = text(payload['tag']);
    return tag === undefined ? { ignored: 'the release names no tag' } : { tag };
  }
  return { ignored: `event '${event}' is not a tag push or a release` };
}

/**
 * Reads a forge's release or tag webhook: the signature first (over the raw body), then the
 * event. Only a new tag (a published release, a pushed tag) yields `tag`.
 */
export function readReleaseHook(headers: HookHeaders, body: Uint8Array, secret: string): ReleaseHook {
  const opened = openHookRequest(headers, body, secret);
  if (isRefused(opened)) return opened;
  const { provider, event, deliveryId: id, payload } = opened;
  const found = provider === 'gitlab' ? gitlabStyle(event, payload) : githubStyle(event, payload);
  if ('ignored' in found) return { kind: 'ignored', provider, deliveryId: id, reason: found.ignored };
  if (found.tag === '' || found.tag.length > MAX_TAG_LENGTH) {
    return { kind: 'ignored', provider, deliveryId: id, reason: 'the tag is empty or too long' };
  }
  return { kind: 'tag', provider, deliveryId: id, event, tag: found.tag };
}
