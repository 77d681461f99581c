import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { verifySignature } from './signature.js';

/** The forges whose webhooks kiln understands. */
export type HookProvider = 'github' | 'gitea' | 'gitlab';

/** Request headers as Node gives them: lower-case names. */
export type HookHeaders = Readonly<Record<string, string | string[] | undefined>>;

export type Json = Record<string, unknown>;

/** A forge request whose signature checked out and whose body is a JSON object. */
export interface OpenedHook {
  provider: HookProvider;
  /** The forge's event name (`push`, `Tag Push Hook`, `ping`...). */
  event: string;
  deliveryId: string | null;
  payload: Json;
}

/** Why a request was not opened: nothing in it may be acted on. */
export type RefusedHook =
  { kind: 'unauthorized'; reason: string } | { kind: 'invalid'; provider: HookProvider; reason: string };

export function header(headers: HookHeaders, name: string): string | undefined {
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

function eventHeader(provider: HookProvider): string {
  return provider === 'github' ? 'x-github-event' : provider === 'gitea' ? 'x-gitea-event' : 'x-gitlab-event';
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The steps every incoming forge webhook goes through, in this order: which forge (by its event
 * header), the signature over the raw bytes, then the body as a JSON object. Nothing of the body
 * is looked at before the signature is checked.
 */
export function openHookRequest(
  headers: HookHeaders,
  body: Uint8Array,
  secret: string,
): OpenedHook | RefusedHook {
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
  if (!isObject(payload)) {
    return { kind: 'invalid', provider, reason: 'the webhook body is not a JSON object' };
  }
  return {
    provider,
    event: header(headers, eventHeader(provider)) ?? '',
    deliveryId: deliveryId(provider, headers),
    payload,
  };
}

export function isRefused(hook: OpenedHook | RefusedHook): hook is RefusedHook {
  return 'kind' in hook;
}
