import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { KilnError, isKilnError, type ErrorCode } from '../errors/index.js';

/** The only place where error codes become HTTP statuses. */
const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  KILN_ERR_VALIDATION: 400,
  KILN_ERR_UNKNOWN_OPTION: 400,
  KILN_ERR_ENV_NAME: 400,
  KILN_ERR_TIMEOUT_RANGE: 400,
  KILN_ERR_EXPR_TOO_LARGE: 413,
  KILN_ERR_TOO_LARGE: 413,
  KILN_ERR_RANGE: 416,
  KILN_ERR_EXPR_PARSE: 422,
  KILN_ERR_EXPR_EVAL: 422,
  KILN_ERR_FILE_NOT_FOUND: 400,
  KILN_ERR_UNAUTHORIZED: 401,
  KILN_ERR_FORBIDDEN: 403,
  KILN_ERR_NOT_FOUND: 404,
  KILN_ERR_CONFLICT: 409,
  KILN_ERR_CONFIG: 500,
  KILN_ERR_NIX: 502,
  KILN_ERR_GIT_URL: 400,
  KILN_ERR_GIT_REPO_NOT_FOUND: 422,
  KILN_ERR_GIT_REF_NOT_FOUND: 422,
  KILN_ERR_GIT_AUTH: 422,
  KILN_ERR_GIT: 502,
  KILN_ERR_TEMPLATE_PARAM: 400,
  KILN_ERR_TEMPLATE_INVALID: 400,
  KILN_ERR_UNAVAILABLE: 503,
  // The registry refused or failed: the fault is upstream of kiln, not the caller's kiln token.
  KILN_ERR_REGISTRY: 502,
  // A source download failed (404, connection refused): the upstream's fault, not the request's.
  KILN_ERR_FETCH: 502,
  KILN_ERR_ARCHIVE: 422,
  KILN_ERR_NIX_SYNTAX: 422,
  KILN_ERR_BUMP: 422,
  KILN_ERR_INTERNAL: 500,
};

export function statusFor(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

interface AjvIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Turns Fastify's own errors (schema validation, body size, JSON syntax) into coded ones. */
export function toKilnError(error: FastifyError | Error): KilnError {
  if (isKilnError(error)) return error;
  const fastifyError = error as FastifyError & { validation?: AjvIssue[]; validationContext?: string };
  if (fastifyError.validation && fastifyError.validation.length > 0) {
    const issue = fastifyError.validation[0]!;
    const where = `${fastifyError.validationContext ?? 'request'}${issue.instancePath.replaceAll('/', '.')}`;
    if (issue.keyword === 'additionalProperties') {
      const name = String(issue.params['additionalProperty']);
      return new KilnError('KILN_ERR_UNKNOWN_OPTION', `unknown field ${JSON.stringify(name)} in ${where}`, {
        field: name,
      });
    }
    return new KilnError('KILN_ERR_VALIDATION', `${where} ${issue.message ?? 'is invalid'}`, {
      keyword: issue.keyword,
    });
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new KilnError('KILN_ERR_EXPR_TOO_LARGE', 'request body is larger than the server accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new KilnError('KILN_ERR_VALIDATION', 'send the request body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new KilnError('KILN_ERR_VALIDATION', 'request body is empty');
    default:
      break;
  }
  if (fastifyError.statusCode === 400) return new KilnError('KILN_ERR_VALIDATION', fastifyError.message);
  if (fastifyError.statusCode === 404) return new KilnError('KILN_ERR_NOT_FOUND', fastifyError.message);
  return new KilnError('KILN_ERR_INTERNAL', 'internal error', undefined, { cause: error });
}

export function errorHandler(
  this: unknown,
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const kilnError = toKilnError(error);
  const status = statusFor(kilnError.code);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  const size = kilnError.details?.['size'];
  // HTTP asks a 416 to say how large the object is.
  if (status === 416 && typeof size === 'number') void reply.header('content-range', `bytes */${size}`);
  // A temporary outage (the database restarting, an upstream down): say when to come back.
  const retryAfter = kilnError.details?.['retryAfterSeconds'];
  if (status === 503 && typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
  void reply.status(status).send({
    error: {
      code: kilnError.code,
      message: kilnError.message,
      ...(kilnError.details && { details: kilnError.details }),
    },
  });
}
