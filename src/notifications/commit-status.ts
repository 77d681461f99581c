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
import { redactUrl } from '../webhooks/index.js';
import type { ForgeRepo } from './forge-repo.js';
import type { RunState } from './run-outcome.js';

export type StatusForge = 'github' | 'gitea';

/** The states both forges accept (Gitea also has `warning`, which kiln never needs). */
export type ForgeState = 'pending' | 'success' | 'failure' | 'error';

/** GitHub's limit on a status description; Gitea stores it as given, the same cut is used. */
export const MAX_DESCRIPTION = 140;

/**
 * A run's state as a commit status: still going is pending, succeeded is success, failed is
 * failure, and a run that did not finish on its own (cancelled, superseded by a newer push) is
 * error: neither forge has a cancelled state, and failure would blame the commit.
 */
export function forgeState(state: RunState): ForgeState {
  switch (state) {
    case 'pending':
    case 'running':
      return 'pending';
    case 'succeeded':
      return 'success';
    case 'failed':
      return 'failure';
    case 'cancelled':
    case 'superseded':
      return 'error';
  }
}

export function clip(text: string, max = MAX_DESCRIPTION): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

export interface CommitStatus {
  state: ForgeState;
  targetUrl: string;
  description: string;
  context: string;
}

export interface StatusRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * The request that sets a commit status: `POST {apiUrl}/repos/{owner}/{repo}/statuses/{sha}` on
 * both forges; GitHub takes `Authorization: Bearer`, Gitea `Authorization: token`. The token goes
 * in the header only, never in the URL.
 */
export function statusRequest(
  forge: StatusForge,
  apiUrl: string,
  repo: ForgeRepo,
  sha: string,
  status: CommitStatus,
  token: string,
): StatusRequest {
  const base = apiUrl.replace(/\/+$/, '');
  const url = `${base}/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.repo)}/statuses/${encodeURIComponent(sha)}`;
  const headers: Record<string, string> =
    forge === 'github'
      ? {
          Authorization: `Bearer ${token}`,
          Accept: 'application/vnd.github+json',
          'X-GitHub-Api-Version': '2022-11-28',
        }
      : { Authorization: `token ${token}`, Accept: 'application/json' };
  headers['Content-Type'] = 'application/json';
  headers['User-Agent'] = 'kiln';
  const body = JSON.stringify({
    state: status.state,
    target_url: status.targetUrl,
    description: clip(status.description),
    context: status.context,
  });
  return { url, headers, body };
}

export interface PostOptions {
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  attemptTimeoutMs?: number;
  onRetry?: (attempt: number, reason: string) => void;
}

/**
 * Sends a status request, retried with backoff on 5xx, 429, 408, timeouts and connection errors.
 * Any other 4xx (a wrong token, no push access, an unknown commit) fails at once.
 */
export async function postCommitStatus(request: StatusRequest, options: PostOptions = {}): Promise<number> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 4, ...options.retry };
  const send = options.fetch ?? fetch;
  const where = redactUrl(request.url);
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    let retryable: boolean;
    let retryAfter: string | undefined;
    try {
      const res = await send(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.attemptTimeoutMs ?? 10_000),
      });
      const text = await res.text().catch(() => '');
      if (res.status >= 200 && res.status < 300) return res.status;
      reason = `answered ${res.status}${forgeMessage(text)}`;
      retryable = isRetryableStatus(res.status);
      retryAfter = res.headers.get('retry-after') ?? undefined;
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      const code = (cause as { code?: unknown } | undefined)?.code;
      const timedOut = (error as { name?: unknown }).name === 'TimeoutError';
      reason = timedOut
        ? 'no answer in time'
        : typeof code === 'string'
          ? `connection failed (${code})`
          : String(error);
      retryable = timedOut || isRetryableConnectionError(cause) || isRetryableConnectionError(error);
    }
    if (!retryable || attempt >= policy.maxAttempts) {
      throw new KilnError(
        'KILN_ERR_UNAVAILABLE',
        `commit status ${where}: ${reason}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`,
        { url: where, attempts: attempt },
      );
    }
    options.onRetry?.(attempt, reason);
    await sleep(retryAfterMs(retryAfter, policy) ?? backoffDelayMs(attempt, policy));
  }
}

/** The forge's own error message (`{"message": ...}` on both), short, for the log. */
function forgeMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    return typeof parsed.message === 'string' ? `: ${clip(parsed.message, 200)}` : '';
  } catch {
    return '';
  }
}
