import { access, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { KilnError } from '../../errors/index.js';
import { parseMachines, type NixMachine } from './machines.js';

/** The checked `builders` setting: what to pass to Nix and the machines it names. */
export interface LoadedBuilders {
  /** The value of Nix's `builders` option: '' (none), the text itself, or `@FILE`. */
  option: string;
  /** The machines file, when the setting named one (Nix re-reads it for every build). */
  file: string | null;
  machines: NixMachine[];
}

/**
 * Reads and checks `nix.builders`: an absolute path (optionally `@PATH`) names a machines file,
 * anything else is machines text. Fails with KILN_ERR_CONFIG, so a bad line stops the server at
 * start-up instead of failing builds later; ssh keys must exist and be readable.
 */
export async function loadBuilders(spec: string): Promise<LoadedBuilders> {
  const trimmed = spec.trim();
  if (trimmed === '') return { option: '', file: null, machines: [] };
  const path = /^@?\/\S*$/.test(trimmed) ? trimmed.replace(/^@/, '') : null;
  let text = trimmed;
  if (path !== null) {
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new KilnError(
        'KILN_ERR_CONFIG',
        `cannot read the builders file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        { file: path },
      );
    }
  }
  const machines = parseMachines(text, path ?? 'nix.builders');
  if (machines.length === 0)
    throw new KilnError('KILN_ERR_CONFIG', `${path ?? 'nix.builders'} names no machine`, {});
  for (const machine of machines) {
    if (machine.sshKey === null) continue;
    try {
      await access(machine.sshKey, constants.R_OK);
    } catch {
      throw new KilnError(
        'KILN_ERR_CONFIG',
        `${path ?? 'nix.builders'} line ${machine.line}: cannot read the ssh key ${machine.sshKey}`,
        { line: machine.line },
      );
    }
  }
  return { option: path === null ? trimmed : `@${path}`, file: path, machines };
}
