import { stat } from 'node:fs/promises';
import { KilnError } from '../../errors/index.js';
import type { NixCallResult } from './exec.js';
import { RESERVED_ENV_NAMES } from './wrapper.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Environment variables must be plain names that do not redefine the derivation itself. */
export function validateEnv(env: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name) || RESERVED_ENV_NAMES.includes(name)) {
      throw new KilnError('KILN_ERR_ENV_NAME', `'${name}' cannot be used as an environment variable name`, {
        name,
      });
    }
    if (typeof value !== 'string') {
      throw new KilnError('KILN_ERR_VALIDATION', `the value of '${name}' must be a string`, { name });
    }
  }
}

/** The user's expression must be an existing regular file. */
export async function requireFile(path: string): Promise<void> {
  try {
    if ((await stat(path)).isFile()) return;
  } catch {
    // Reported below, the same way as a directory.
  }
  throw new KilnError('KILN_ERR_FILE_NOT_FOUND', `no such file: ${path}`, { file: path });
}

/** Source position of the first error, when Nix gave one. */
export function positionOf(call: NixCallResult): Record<string, unknown> {
  const first = call.errors[0];
  if (!first) return { exitCode: call.process.exitCode };
  return { exitCode: call.process.exitCode, file: first.file, line: first.line, column: first.column };
}
