import { isKilnError } from '../errors/index.js';

/**
 * An error response from the kiln server. Its code is whatever the server sent (not necessarily one
 * of our own ErrorCode values: a newer server may know more codes than this client).
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Codes that mean "the user gave us bad input": exit code 2 like any usage error. */
const INPUT_CODES: ReadonlySet<string> = new Set([
  'KILN_ERR_VALIDATION',
  'KILN_ERR_UNKNOWN_OPTION',
  'KILN_ERR_ENV_NAME',
  'KILN_ERR_TIMEOUT_RANGE',
  'KILN_ERR_EXPR_TOO_LARGE',
  'KILN_ERR_FILE_NOT_FOUND',
  'KILN_ERR_TEMPLATE_PARAM',
  'KILN_ERR_TEMPLATE_INVALID',
]);

/** Exit codes: 2 for bad input (usage errors, 4xx responses), 1 for server and network trouble. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof ApiError) return err.status >= 400 && err.status < 500 ? 2 : 1;
  if (isKilnError(err)) return INPUT_CODES.has(err.code) ? 2 : 1;
  return 1;
}

/** One line for stderr: `error: MESSAGE (CODE)`. */
export function formatError(err: unknown): string {
  if (err instanceof ApiError || isKilnError(err)) return `error: ${err.message} (${err.code})`;
  if (err instanceof Error) return `error: ${err.message} (KILN_ERR_INTERNAL)`;
  return `error: ${String(err)} (KILN_ERR_INTERNAL)`;
}

/** Errors after which pointing at `kiln CMD --help` helps. */
export function isUsageError(err: unknown): boolean {
  return isKilnError(err) && (err.code === 'KILN_ERR_VALIDATION' || err.code === 'KILN_ERR_UNKNOWN_OPTION');
}
