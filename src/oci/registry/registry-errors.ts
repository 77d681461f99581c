import { KilnError, type ErrorCode } from '../../errors/index.js';
import type { HttpResponse } from './http.js';

/** The `errors` array of a registry error body (`{"errors":[{"code","message","detail"}]}`). */
export function registryErrorSummary(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: unknown };
    if (!Array.isArray(parsed.errors) || parsed.errors.length === 0) return undefined;
    return parsed.errors
      .map((e: { code?: unknown; message?: unknown }) =>
        [
          typeof e.code === 'string' ? e.code : undefined,
          typeof e.message === 'string' ? e.message : undefined,
        ]
          .filter(Boolean)
          .join(': '),
      )
      .join('; ');
  } catch {
    return undefined;
  }
}

function codeFor(status: number): ErrorCode {
  if (status === 401) return 'KILN_ERR_UNAUTHORIZED';
  if (status === 403) return 'KILN_ERR_FORBIDDEN';
  if (status === 404) return 'KILN_ERR_NOT_FOUND';
  if (status === 429 || status >= 500) return 'KILN_ERR_UNAVAILABLE';
  return 'KILN_ERR_VALIDATION';
}

/** A registry answer we cannot go on from, as a coded error naming the registry and the step. */
export function registryResponseError(registry: string, what: string, res: HttpResponse): KilnError {
  const summary = registryErrorSummary(res.body);
  return new KilnError(
    codeFor(res.status),
    `registry ${registry}: ${what} failed with HTTP ${res.status}${summary ? ` (${summary})` : ''}`,
    { registry, status: res.status, ...(summary ? { registryErrors: summary } : {}) },
  );
}
