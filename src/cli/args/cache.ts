import { parseArgs } from 'node:util';
import { KilnError } from '../../errors/index.js';
import { CLIENT_OPTIONS, clientFlags, positionals, strictParse, type ClientFlags } from './common.js';
import { parseDuration } from './duration.js';

/** `kiln cache SUBCOMMAND ...`: the warehouse's caches. */
export type CachePlan = { command: 'cache'; client: ClientFlags; json: boolean } & (
  | { action: 'create'; name: string; private: boolean; priority: number | undefined; retentionDays: number | null | undefined }
  | { action: 'info'; name: string }
  | { action: 'list' }
  | { action: 'rotate-key'; name: string; overlapSeconds: number | undefined }
  | { action: 'retention'; name: string; days: number | null }
  | { action: 'gc'; name: string; dryRun: boolean }
  | { action: 'pin' | 'unpin'; name: string; path: string }
  | { action: 'pins'; name: string }
);

export const CACHE_ACTIONS = ['create', 'info', 'list', 'rotate-key', 'retention', 'gc', 'pin', 'unpin', 'pins'];

function days(raw: string, option: string): number | null {
  if (raw === 'never' || raw === 'forever') return null;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 36500) {
    throw new KilnError('KILN_ERR_VALIDATION', `${option} expects a number of days (1-36500) or 'never'`, {
      option,
    });
  }
  return Number(raw);
}

export function parseCacheArgs(args: readonly string[]): CachePlan | { command: 'help'; topic: 'cache' } {
  const { values, positionals: rest } = strictParse('cache', () =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: {
        ...CLIENT_OPTIONS,
        json: { type: 'boolean' },
        private: { type: 'boolean' },
        priority: { type: 'string' },
        retention: { type: 'string' },
        overlap: { type: 'string' },
        'dry-run': { type: 'boolean' },
      },
    }),
  );
  if (values.help) return { command: 'help', topic: 'cache' };
  const [action, ...operands] = rest;
  if (action === undefined) {
    throw new KilnError('KILN_ERR_VALIDATION', `'kiln cache' needs a subcommand: ${CACHE_ACTIONS.join(', ')}`, {
      command: 'cache',
    });
  }
  const base = { command: 'cache' as const, client: clientFlags(values), json: values.json ?? false };
  switch (action) {
    case 'create': {
      const [name = ''] = positionals('cache create', operands, ['NAME']);
      let priority: number | undefined;
      if (values.priority !== undefined) {
        if (!/^\d+$/.test(values.priority) || Number(values.priority) > 1000) {
          throw new KilnError('KILN_ERR_VALIDATION', '--priority expects a number from 0 to 1000', {
            option: '--priority',
          });
        }
        priority = Number(values.priority);
      }
      return {
        ...base,
        action,
        name,
        private: values.private ?? false,
        priority,
        retentionDays: values.retention === undefined ? undefined : days(values.retention, '--retention'),
      };
    }
    case 'info':
    case 'pins': {
      const [name = ''] = positionals(`cache ${action}`, operands, ['NAME']);
      return { ...base, action, name };
    }
    case 'list':
      positionals('cache list', operands, []);
      return { ...base, action };
    case 'rotate-key': {
      const [name = ''] = positionals('cache rotate-key', operands, ['NAME']);
      const overlap = values.overlap === undefined ? undefined : parseDuration(values.overlap, '--overlap');
      return { ...base, action, name, overlapSeconds: overlap && Math.round(overlap.ms / 1000) };
    }
    case 'retention': {
      const [name = '', value = ''] = positionals('cache retention', operands, ['NAME', 'DAYS']);
      return { ...base, action, name, days: days(value, 'DAYS') };
    }
    case 'gc': {
      const [name = ''] = positionals('cache gc', operands, ['NAME']);
      return { ...base, action, name, dryRun: values['dry-run'] ?? false };
    }
    case 'pin':
    case 'unpin': {
      const [name = '', path = ''] = positionals(`cache ${action}`, operands, ['NAME', 'STORE_PATH']);
      return { ...base, action, name, path };
    }
    default:
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `unknown subcommand 'kiln cache ${action}' (one of: ${CACHE_ACTIONS.join(', ')})`,
        { command: 'cache' },
      );
  }
}
