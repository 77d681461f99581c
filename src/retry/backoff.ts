/** How often and how patiently an HTTP request (registry, webhook) is retried. */
export interface RetryPolicy {
  /** Attempts in total, the first included (1 = no retry). */
  maxAttempts: number;
  /** The ceiling of the first retry's delay; it doubles for every further attempt. */
  baseDelayMs: number;
  /** No delay above this, whatever the attempt or Retry-After says. */
  maxDelayMs: number;
  /** Uniform in [0, 1); injected by tests. */
  random?: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 10_000 };

/**
 * "Full jitter": uniform in [0, min(max, base·2^(retry-1))) for retry 1, 2, … (the delay before
 * attempt retry+1). Spreads clients that failed together instead of having them return together.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor((policy.random ?? Math.random)() * ceiling);
}

/** The delay a `Retry-After` header asks for (seconds or an HTTP date), capped by the policy. */
export function retryAfterMs(
  header: string | undefined,
  policy: RetryPolicy,
  now = Date.now(),
): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, policy.maxDelayMs);
}

/** Statuses worth another attempt: the registry is overloaded, restarting or rate-limiting. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status !== 501 && status !== 505);
}

const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Connection-level failures (refused, reset, timed out) that a retry may cure. */
export function isRetryableConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && RETRYABLE_CODES.has(code);
}
