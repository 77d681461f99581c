/**
 * Retrying HTTP calls to servers kiln does not run (registries, deploy hooks): full-jitter backoff,
 * Retry-After, and which failures are worth another attempt. Pure; no I/O.
 */
export {
  backoffDelayMs,
  retryAfterMs,
  isRetryableStatus,
  isRetryableConnectionError,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
} from './backoff.js';
