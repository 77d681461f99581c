import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { verifySignature } from './signature.js';

/** The forges whose release and tag webhooks kiln understands. */
export type HookProvider = 'github' | 'gitea' | 'gitlab';

/** Request headers as Node gives them: lower-case names. */
export type HookHeaders = Readonly<Record<string, string | string[] | undefined>>;

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

function header(headers: HookHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Which forge sent it. Gitea also sends X-GitHub-Event, so its own header is looked at first. */
export function hookProvider(headers: HookHeaders): HookProvider | null {
  if (header(headers, 'x-gitea-event') !== undefined) return 'gitea';
  if (header(headers, 'x-gitlab-event') !== undefined) return 'gitlab';
  if (header(headers, 'x-github-event') !== undefined) return 'github';
  return null;
}

/** Constant-time equality of two strings of any lengths (their digests are compared). */
function sameSecret(a: string, b: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Gitea's X-Gitea-Signature: the hex HMAC-SHA256 of the body, without a prefix. */
function verifyHexSignature(secret: string, body: Uint8Array, given: string | undefined): boolean {
  if (given === undefined || !/^[0-9a-f]{64}$/i.test(given.trim())) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'));
  return timingSafeEqual(expected, Buffer.from(given.trim().toLowerCase()));
}

/**
 * Checks the request's signature against `secret` over the exact body bytes: GitHub's
 * `X-Hub-Signature-256: sha256=<hex>`, Gitea's `X-Gitea-Signature: <hex>`, GitLab's
 * `X-Gitlab-Token: <secret>`.
 */
export function verifyHook(
  provider: HookProvider,
  headers: HookHeaders,
  body: Uint8Array,
  secret: string,
): boolean {
  if (secret === '') return false;
  switch (provider) {
    case 'github':
      return verifySignature(secret, body, header(headers, 'x-hub-signature-256'));
    case 'gitea':
      return verifyHexSignature(secret, body, header(headers, 'x-gitea-signature'));
    case 'gitlab': {
      const token = header(headers, 'x-gitlab-token');
      return token !== undefined && sameSecret(token, secret);
    }
  }
}

/** The delivery's id, for recognising a replay: the same id is sent when a delivery is redelivered. */
export function deliveryId(provider: HookProvider, headers: HookHeaders): string | null {
  const name =
    provider === 'github'
      ? 'x-github-delivery'
      : provider === 'gitea'
        ? 'x-gitea-delivery'
        : 'x-gitlab-event-uuid';
  const value = header(headers, name)?.trim();
  return value === undefined || value === '' ? null : value.slice(0, 200);
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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
  const provider = hookProvider(headers);
  if (provider === null) {
    return { kind: 'unauthorized', reason: 'not a GitHub, Gitea or GitLab webhook (no event header)' };
  }
  if (!verifyHook(provider, headers, body, secret)) {
    return { kind: 'unauthorized', reason: `the ${provider} webhook signature is missing or wrong` };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return { kind: 'invalid', provider, reason: 'the webhook body is not JSON' };
  }
  if (!isObject(payload))
    return { kind: 'invalid', provider, reason: 'the webhook body is not a JSON object' };
  const event =
    header(
      headers,
      provider === 'github' ? 'x-github-event' : provider === 'gitea' ? 'x-gitea-event' : 'x-gitlab-event',
    ) ?? '';
  const id = deliveryId(provider, headers);
  const found = provider === 'gitlab' ? gitlabStyle(event, payload) : githubStyle(event, payload);
  if ('ignored' in found) return { kind: 'ignored', provider, deliveryId: id, reason: found.ignored };
  if (found.tag === '' || found.tag.length > MAX_TAG_LENGTH) {
    return { kind: 'ignored', provider, deliveryId: id, reason: 'the tag is empty or too long' };
  }
  return { kind: 'tag', provider, deliveryId: id, event, tag: found.tag };
}
