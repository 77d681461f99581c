/**
 * Every failure that reaches a user carries one of these codes. The HTTP layer maps codes to
 * status codes at the edge (src/api/errors.ts); nothing below it knows about HTTP.
 */
export const ERROR_CODES = [
  'KILN_ERR_VALIDATION',
  'KILN_ERR_UNKNOWN_OPTION',
  'KILN_ERR_ENV_NAME',
  'KILN_ERR_TIMEOUT_RANGE',
  'KILN_ERR_EXPR_TOO_LARGE',
  'KILN_ERR_TOO_LARGE',
  'KILN_ERR_RANGE',
  'KILN_ERR_EXPR_PARSE',
  'KILN_ERR_EXPR_EVAL',
  'KILN_ERR_FILE_NOT_FOUND',
  'KILN_ERR_UNAUTHORIZED',
  'KILN_ERR_FORBIDDEN',
  'KILN_ERR_NOT_FOUND',
  'KILN_ERR_CONFLICT',
  'KILN_ERR_CONFIG',
  'KILN_ERR_NIX',
  'KILN_ERR_GIT_URL',
  'KILN_ERR_GIT_REPO_NOT_FOUND',
  'KILN_ERR_GIT_REF_NOT_FOUND',
  'KILN_ERR_GIT_AUTH',
  'KILN_ERR_GIT',
  'KILN_ERR_TEMPLATE_PARAM',
  'KILN_ERR_TEMPLATE_INVALID',
  'KILN_ERR_UNAVAILABLE',
  'KILN_ERR_REGISTRY',
  'KILN_ERR_FETCH',
  'KILN_ERR_ARCHIVE',
  'KILN_ERR_NIX_SYNTAX',
  'KILN_ERR_BUMP',
  'KILN_ERR_INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class KilnError extends Error {
  override readonly name = 'KilnError';
  readonly code: ErrorCode;
  /** Machine-readable context safe to show to the user (never secrets). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

export function isKilnError(value: unknown): value is KilnError {
  return value instanceof KilnError;
}
