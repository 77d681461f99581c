import { KilnError } from '../../errors/index.js';
import { nonEmpty, positionals, parseOptions } from './common.js';

/** `kiln bump FILE --version V`: runs on this machine (Nix and Git here), no server. */
export interface BumpPlan {
  command: 'bump';
  file: string;
  version: string;
  entry: string | undefined;
  attr: string | undefined;
  systems: string[] | undefined;
  verify: string | undefined;
  commit: boolean;
  branch: string | undefined;
  dryRun: boolean;
  json: boolean;
}

export function parseBumpArgs(args: readonly string[]): BumpPlan | { command: 'help'; topic: 'bump' } {
  const { values, positionals: rest } = parseOptions('bump', args, {
    version: { type: 'string' },
    entry: { type: 'string' },
    attr: { type: 'string', short: 'A' },
    system: { type: 'string', multiple: true },
    verify: { type: 'string' },
    commit: { type: 'boolean' },
    branch: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { command: 'help', topic: 'bump' };
  const [file = ''] = positionals('bump', rest, ['FILE']);
  const version = nonEmpty('--version', values.version);
  if (version === undefined) {
    throw new KilnError('KILN_ERR_VALIDATION', "'kiln bump' needs --version VERSION", {
      option: '--version',
    });
  }
  const branch = nonEmpty('--branch', values.branch);
  if (branch !== undefined && !values.commit) {
    throw new KilnError('KILN_ERR_VALIDATION', '--branch goes with --commit', { option: '--branch' });
  }
  if (values.commit && values['dry-run']) {
    throw new KilnError('KILN_ERR_VALIDATION', '--dry-run and --commit exclude each other', {
      option: '--dry-run',
    });
  }
  return {
    command: 'bump',
    file,
    version,
    entry: nonEmpty('--entry', values.entry),
    attr: nonEmpty('--attr', values.attr),
    systems: values.system?.length ? values.system : undefined,
    verify: nonEmpty('--verify', values.verify),
    commit: values.commit ?? false,
    branch,
    dryRun: values['dry-run'] ?? false,
    json: values.json ?? false,
  };
}
