import { Buffer } from 'node:buffer';
import { KilnError } from '../errors/index.js';
import { validateAttrPath, validateGitRef } from '../git/index.js';
import { RESERVED_ENV_NAMES } from '../runner/nix/index.js';
import { FLAKE_OUTPUT_SETS, type ImageConfig, type MatrixSpec } from '../persistence/index.js';
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
    if (source.matrix !== undefined) validateMatrix(source.matrix, input);
  }
  if (input.concurrency !== undefined) validateConcurrency(input.concurrency);
  if (input.commit !== undefined && !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(input.commit.sha)) {
    throw new KilnError('KILN_ERR_VALIDATION', 'the commit must be a full hexadecimal SHA');
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
  if (input.imageConfig !== undefined || input.deployHook !== undefined) {
    if (input.image === undefined) {
      throw new KilnError('KILN_ERR_VALIDATION', 'image settings and a deploy hook go with an image');
    }
  }
  if (input.imageConfig !== undefined) validateImageConfig(input.imageConfig);
  if (input.deployHook !== undefined) validateHookUrl(input.deployHook);
  return { ...input, timeoutSeconds, maxSilentSeconds, systems };
}

const MAX_MATRIX_ENTRIES = 256;

/** A matrix names sets or attributes and systems; its children get no image of their own. */
function validateMatrix(matrix: MatrixSpec, input: BuildSubmission): void {
  const fail = (message: string): never => {
    throw new KilnError('KILN_ERR_VALIDATION', `matrix: ${message}`);
  };
  for (const set of matrix.sets) {
    if (!(FLAKE_OUTPUT_SETS as readonly string[]).includes(set)) {
      fail(`${JSON.stringify(set)} is not one of ${FLAKE_OUTPUT_SETS.join(', ')}`);
    }
  }
  if (matrix.sets.length === 0 && matrix.attrs.length === 0) fail('name output sets or attributes');
  if (matrix.attrs.length > MAX_MATRIX_ENTRIES) fail(`more than ${MAX_MATRIX_ENTRIES} attributes`);
  for (const attr of matrix.attrs) validateAttrPath(attr);
  if (matrix.systems.length === 0) fail('name at least one system');
  for (const system of matrix.systems) {
    if (!SYSTEM.test(system)) fail(`system ${JSON.stringify(system)} is not of the form arch-os`);
  }
  if (input.source.kind === 'git' && input.source.attr !== undefined) fail('give attrs, not attr');
  if (input.systems !== undefined && input.systems.length > 0) fail('systems go in the matrix');
  if (input.image !== undefined) fail('a matrix builds many derivations: it takes no image');
  if (input.env !== undefined && Object.keys(input.env).length > 0) {
    fail('environment variables apply to one top-level derivation: a matrix takes none');
  }
}

const GROUP = /^[^\0\n]{1,200}$/;

function validateConcurrency(concurrency: NonNullable<BuildSubmission['concurrency']>): void {
  if (!GROUP.test(concurrency.group) || concurrency.group.trim() === '') {
    throw new KilnError('KILN_ERR_VALIDATION', 'a concurrency group is 1 to 200 characters on one line');
  }
  if (concurrency.queue === true && concurrency.cancelInProgress === true) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      'a queued concurrency group cannot also cancel the run in progress (as in GitHub Actions)',
    );
  }
}

const PORT = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/;
const USER = /^[A-Za-z0-9_.-]{1,64}(?::[A-Za-z0-9_.-]{1,64})?$/;
const MAX_ARGS = 64;

/** Entrypoint, Cmd, Env, WorkingDir, ExposedPorts and User as the OCI config takes them. */
export function validateImageConfig(config: ImageConfig): void {
  const fail = (message: string): never => {
    throw new KilnError('KILN_ERR_VALIDATION', `image settings: ${message}`);
  };
  for (const [name, list] of [
    ['entrypoint', config.entrypoint],
    ['cmd', config.cmd],
  ] as const) {
    if (list === undefined) continue;
    if (list.length > MAX_ARGS) fail(`${name} has more than ${MAX_ARGS} arguments`);
    if (list.some((arg) => arg.includes('\0'))) fail(`${name} contains a NUL byte`);
  }
  for (const entry of config.env ?? []) {
    const name = entry.slice(0, entry.indexOf('='));
    if (!entry.includes('=') || !ENV_NAME.test(name)) fail(`env ${JSON.stringify(entry)} is not KEY=VALUE`);
  }
  if (config.workingDir !== undefined && !/^\/[^\0]*$/.test(config.workingDir)) {
    fail(`workingDir ${JSON.stringify(config.workingDir)} is not an absolute path`);
  }
  for (const port of config.exposedPorts ?? []) {
    const match = PORT.exec(port);
    const number = match ? Number(match[1]) : 0;
    if (number < 1 || number > 65535) fail(`${JSON.stringify(port)} is not a port like 8080 or 53/udp`);
  }
  if (config.user !== undefined && !USER.test(config.user)) {
    fail(`user ${JSON.stringify(config.user)} is not NAME, UID or UID:GID`);
  }
}

/** A deploy hook is an absolute http(s) URL; credentials belong in the signature, not the URL. */
export function validateHookUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KilnError('KILN_ERR_VALIDATION', 'the deploy hook is not a URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new KilnError('KILN_ERR_VALIDATION', 'the deploy hook must be an http or https URL');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      'the deploy hook URL must not hold credentials: receivers check the X-Kiln-Signature-256 header',
    );
  }
}
