import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { KilnError } from '../errors/index.js';
import {
  DEFAULT_RETRY_POLICY,
  backoffDelayMs,
  isRetryableConnectionError,
  isRetryableStatus,
  retryAfterMs,
  type RetryPolicy,
} from '../retry/index.js';
import { SIGNATURE_HEADER, signBody } from './signature.js';

export interface WebhookDelivery {
  url: string;
  /** HMAC-SHA256 key; the receiver verifies `X-Kiln-Signature-256` with it. */
  secret: string;
  /** `X-Kiln-Event`, e.g. `deploy`. */
  event: string;
  payload: unknown;
  /** Same on every attempt, so a receiver can drop a retry it already acted on. Default: a UUID. */
  deliveryId?: string;
  retry?: Partial<RetryPolicy>;
  /** Per attempt; a receiver that hangs counts as a failed attempt. Default 10 s. */
  attemptTimeoutMs?: number;
  signal?: AbortSignal;
  /** Called after each failed attempt that will be retried. */
  onRetry?: (attempt: number, reason: string) => void;
  /** The HTTP client; default the global fetch. */
  fetch?: typeof fetch;
}

export interface WebhookResult {
  deliveryId: string;
  status: number;
  attempts: number;
  durationMs: number;
}

const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;

/** Why a failed attempt failed, in words, and whether another attempt may succeed. */
type AttemptFailure = { reason: string; retryable: boolean; retryAfter?: string | undefined };

/**
 * POSTs a JSON payload signed with HMAC-SHA256, retried with full-jitter backoff on 5xx, 429, 408,
 * timeouts and connection errors. Any 2xx is success; another 4xx fails at once (the receiver
 * refused the request, a retry would be refused too).
 */
export async function deliverWebhook(delivery: WebhookDelivery): Promise<WebhookResult> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 5, ...delivery.retry };
  const deliveryId = delivery.deliveryId ?? randomUUID();
  const body = Buffer.from(JSON.stringify(delivery.payload));
  const headers = {
    'Content-Type': 'application/json',
    'User-Agent': 'kiln-webhook',
    'X-Kiln-Event': delivery.event,
    'X-Kiln-Delivery': deliveryId,
    [SIGNATURE_HEADER]: signBody(delivery.secret, body),
  };
  const started = performance.now();
  let last: AttemptFailure = { reason: 'not attempted', retryable: false };
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    delivery.signal?.throwIfAborted();
    const outcome = await attemptOnce(delivery, headers, body);
    if (typeof outcome === 'number') {
      return {
        deliveryId,
        status: outcome,
        attempts: attempt,
        durationMs: Math.round(performance.now() - started),
      };
    }
    last = outcome;
    if (!outcome.retryable || attempt === policy.maxAttempts) {
      throw new KilnError(
        'KILN_ERR_UNAVAILABLE',
        `webhook ${redactUrl(delivery.url)}: ${outcome.reason}` +
          (attempt > 1 ? ` (after ${attempt} attempts)` : ''),
        { url: redactUrl(delivery.url), attempts: attempt, deliveryId },
      );
    }
    delivery.onRetry?.(attempt, outcome.reason);
    const wait = retryAfterMs(outcome.retryAfter, policy) ?? backoffDelayMs(attempt, policy);
    await sleep(wait, undefined, delivery.signal ? { signal: delivery.signal } : {});
  }
  throw new KilnError('KILN_ERR_INTERNAL', `webhook ${redactUrl(delivery.url)}: ${last.reason}`);
}

async function attemptOnce(
  delivery: WebhookDelivery,
  headers: Record<string, string>,
  body: Buffer,
): Promise<number | AttemptFailure> {
  const timeout = AbortSignal.timeout(delivery.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS);
  const signal = delivery.signal ? AbortSignal.any([delivery.signal, timeout]) : timeout;
  try {
    const res = await (delivery.fetch ?? fetch)(delivery.url, {
      method: 'POST',
      headers,
      body,
      signal,
      redirect: 'manual',
    });
    // The body is not needed; reading it frees the connection.
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return res.status;
    return {
      reason: `answered ${res.status} ${res.statusText}`.trim(),
      retryable: isRetryableStatus(res.status),
      retryAfter: res.headers.get('retry-after') ?? undefined,
    };
  } catch (error) {
    if (delivery.signal?.aborted) throw delivery.signal.reason;
    if (timeout.aborted) return { reason: 'no answer in time', retryable: true };
    const cause = (error as { cause?: unknown }).cause;
    const code = (cause as { code?: unknown } | undefined)?.code;
    return {
      reason: typeof code === 'string' ? `connection failed (${code})` : `request failed: ${String(error)}`,
      retryable: isRetryableConnectionError(cause) || isRetryableConnectionError(error),
    };
  }
}

/** A URL as it may appear in logs and errors: no userinfo, no query (either may hold a secret). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    // origin has no userinfo; the query is replaced, not encoded, so the mark stays readable.
    return `${parsed.origin}${parsed.pathname}${parsed.search === '' ? '' : '?…'}`;
  } catch {
    return '(invalid URL)';
  }
}
