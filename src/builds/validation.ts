import { Buffer } from 'node:buffer';
import { KilnError } from '../errors/index.js';
import { validateAttrPath, validateGitRef } from '../git/index.js';
import { RESERVED_ENV_NAMES } from '../runner/nix/index.js';
import type { BuildSubmission } from './types.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TEMPLATE_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const SYSTEM = /^[a-z0-9_]+-[a-z0-9_]+$/;
// The warehouse's cache name rule (src/cache/warehouse/names.ts), checked early for a clear error.
const CACHE_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/;

export interface SubmissionLimits {
  defaultTimeoutSeconds: number;
  maxTimeoutSeconds: number;
  maxSilentSeconds: number;
  maxExpressionBytes: number;
}

export interface ValidSubmission extends Omit<BuildSubmission, 'systems'> {
  timeoutSeconds: number;
  maxSilentSeconds: number;
  systems: (string | null)[];
}

/** An expression (given or rendered from a template) must be within the size limit and not empty. */
export function checkExpressionSize(
  expression: string,
  limits: Pick<SubmissionLimits, 'maxExpressionBytes'>,
): void {
  const size = Buffer.byteLength(expression, 'utf8');
  if (size > limits.maxExpressionBytes) {
    throw new KilnError(
      'KILN_ERR_EXPR_TOO_LARGE',
      `expression is ${size} bytes; the limit is ${limits.maxExpressionBytes} bytes`,
      { size, limit: limits.maxExpressionBytes },
    );
  }
  if (expression.trim() === '') {
    throw new KilnError('KILN_ERR_EXPR_PARSE', 'expression is empty');
  }
}

/** Checks everything that can be checked without Nix; throws a coded error for the first problem. */
export function validateSubmission(input: BuildSubmission, limits: SubmissionLimits): ValidSubmission {
  const { source } = input;
  if (source.kind === 'expr') checkExpressionSize(source.expression, limits);
  if (source.kind === 'git') {
    // The URL is checked against the server's policy where the policy is known (git-source.ts).
    if (source.ref !== undefined) validateGitRef(source.ref);
    if (source.attr !== undefined) validateAttrPath(source.attr);
  }
  if (source.kind === 'template' && !TEMPLATE_NAME.test(source.name)) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `${JSON.stringify(source.name.slice(0, 100))} is not a template name`,
    );
  }
  if (source.kind !== 'git' && input.credentials !== undefined) {
    throw new KilnError('KILN_ERR_VALIDATION', 'credentials are only for builds from Git');
  }
  for (const name of Object.keys(input.env ?? {})) {
    if (!ENV_NAME.test(name)) {
      throw new KilnError(
        'KILN_ERR_ENV_NAME',
        `environment variable name ${JSON.stringify(name)} is not valid: use letters, digits and _ and do not start with a digit`,
        { name },
      );
    }
    if (RESERVED_ENV_NAMES.includes(name)) {
      throw new KilnError(
        'KILN_ERR_ENV_NAME',
        `environment variable name ${JSON.stringify(name)} is reserved by Nix`,
        {
          name,
        },
      );
    }
  }
  const timeoutSeconds = input.timeoutSeconds ?? limits.defaultTimeoutSeconds;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > limits.maxTimeoutSeconds) {
    throw new KilnError(
      'KILN_ERR_TIMEOUT_RANGE',
      `timeout must be between 1 and ${limits.maxTimeoutSeconds} seconds, got ${timeoutSeconds}`,
      { timeoutSeconds, maxTimeoutSeconds: limits.maxTimeoutSeconds },
    );
  }
  const maxSilentSeconds = input.maxSilentSeconds ?? limits.maxSilentSeconds;
  if (
    !Number.isInteger(maxSilentSeconds) ||
    maxSilentSeconds < 0 ||
    maxSilentSeconds > limits.maxTimeoutSeconds
  ) {
    throw new KilnError(
      'KILN_ERR_TIMEOUT_RANGE',
      `max silent time must be between 0 and ${limits.maxTimeoutSeconds} seconds, got ${maxSilentSeconds}`,
    );
  }
  const systems = input.systems && input.systems.length > 0 ? [...new Set(input.systems)] : [null];
  for (const system of systems) {
    if (system !== null && !SYSTEM.test(system)) {
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `system ${JSON.stringify(system)} is not of the form arch-os`,
      );
    }
  }
  if (input.push !== undefined && (!CACHE_NAME.test(input.push) || input.push.includes('..'))) {
    throw new KilnError('KILN_ERR_VALIDATION', `${JSON.stringify(input.push)} is not a cache name`, {
      push: input.push.slice(0, 100),
    });
  }
  return { ...input, timeoutSeconds, maxSilentSeconds, systems };
}
