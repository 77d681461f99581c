import { KilnError } from '../../errors/index.js';
import { parseDuration } from './duration.js';
import { CLIENT_OPTIONS, clientFlags, positionals, type ClientFlags, parseOptions } from './common.js';

export interface CleanupPlan {
  command: 'cleanup';
  client: ClientFlags;
  /** Canonical duration text (`30d`), validated here so a typo never reaches the server. */
  olderThan: string;
  dryRun: boolean;
  json: boolean;
}

export function parseCleanupArgs(
  args: readonly string[],
): CleanupPlan | { command: 'help'; topic: 'cleanup' } {
  const { values, positionals: rest } = parseOptions('cleanup', args, {
    ...CLIENT_OPTIONS,
    'older-than': { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) return { command: 'help', topic: 'cleanup' };
  positionals('cleanup', rest, []);
  const raw = values['older-than'];
  if (raw === undefined) {
    throw new KilnError('KILN_ERR_VALIDATION', "'kiln cleanup' needs --older-than DURATION (e.g. 30d)", {
      option: '--older-than',
    });
  }
  return {
    command: 'cleanup',
    client: clientFlags(values),
    olderThan: parseDuration(raw).text,
    dryRun: values['dry-run'] ?? false,
    json: values.json ?? false,
  };
}
