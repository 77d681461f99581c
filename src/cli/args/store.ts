import { KilnError } from '../../errors/index.js';
import { nonEmpty, positionals, parseOptions } from './common.js';

/** `kiln store optimise`: this machine's Nix store. */
export interface StorePlan {
  command: 'store';
  action: 'optimise';
  dataDir: string;
  json: boolean;
}

export function parseStoreArgs(args: readonly string[]): StorePlan | { command: 'help'; topic: 'store' } {
  const { values, positionals: rest } = parseOptions('store', args, {
    data: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { command: 'help', topic: 'store' };
  const [action = ''] = positionals('store', rest, ['SUBCOMMAND']);
  if (action !== 'optimise' && action !== 'optimize') {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `unknown subcommand 'kiln store ${action}' (one of: optimise)`,
      {
        command: 'store',
      },
    );
  }
  return {
    command: 'store',
    action: 'optimise',
    dataDir: nonEmpty('--data', values.data) ?? '.kiln',
    json: values.json ?? false,
  };
}
