import { KilnError } from '../../errors/index.js';
import {
  CLIENT_OPTIONS,
  clientFlags,
  nonEmpty,
  positionals,
  type ClientFlags,
  parseOptions,
} from './common.js';
import { parseDuration } from './duration.js';
import { parseListen } from './serve.js';

/** `kiln cache SUBCOMMAND ...`: the warehouse's caches. */
export type CachePlan = { command: 'cache'; client: ClientFlags; json: boolean } & (
  | {
      action: 'create';
      name: string;
      private: boolean;
      priority: number | undefined;
      retentionDays: number | null | undefined;
    }
  | { action: 'info'; name: string }
  | { action: 'list' }
  | { action: 'rotate-key'; name: string; overlapSeconds: number | undefined }
  | { action: 'retention'; name: string; days: number | null }
  | { action: 'gc'; name: string; dryRun: boolean; olderThanDays: number | undefined }
  | { action: 'pin' | 'unpin'; name: string; path: string }
  | { action: 'pins'; name: string }
  | {
      action: 'worker-config';
      workerId: string;
      cacheUrl: string | undefined;
      localCache: string | undefined;
      sharedStore: boolean | undefined;
      trust: string[];
      listen: { host: string; port: number } | undefined;
      /** Set (the default), show or clear the worker's central settings. */
      mode: 'set' | 'show' | 'clear';
    }
  | { action: 'warm'; name: string; packages: string[]; workerId: string }
);

export const CACHE_ACTIONS = [
  'create',
  'info',
  'list',
  'rotate-key',
  'retention',
  'gc',
  'pin',
  'unpin',
  'pins',
  'warm',
  'worker-config',
];

function days(raw: string, option: string): number | null {
  if (raw === 'never' || raw === 'forever') return null;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 36500) {
    throw new KilnError('KILN_ERR_VALIDATION', `${option} expects a number of days (1-36500) or 'never'`, {
      option,
    });
  }
  return Number(raw);
}

function workerConfigMode(values: {
  show?: boolean | undefined;
  clear?: boolean | undefined;
  'cache-url'?: string | undefined;
  'local-cache'?: string | undefined;
  'shared-store'?: boolean | undefined;
  'private-store'?: boolean | undefined;
  trust?: string[] | undefined;
}): 'set' | 'show' | 'clear' {
  if (!values.show && !values.clear) return 'set';
  const settingGiven =
    values['cache-url'] !== undefined ||
    values['local-cache'] !== undefined ||
    values['shared-store'] === true ||
    values['private-store'] === true ||
    (values.trust ?? []).length > 0;
  if ((values.show && values.clear) || settingGiven)
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      '--show and --clear go alone: without settings, and not together',
      { command: 'cache' },
    );
  return values.show ? 'show' : 'clear';
}

export function parseCacheArgs(args: readonly string[]): CachePlan | { command: 'help'; topic: 'cache' } {
  const { values, positionals: rest } = parseOptions('cache', args, {
    ...CLIENT_OPTIONS,
    json: { type: 'boolean' },
    private: { type: 'boolean' },
    priority: { type: 'string' },
    retention: { type: 'string' },
    overlap: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'older-than': { type: 'string' },
    'cache-url': { type: 'string' },
    'local-cache': { type: 'string' },
    'shared-store': { type: 'boolean' },
    'private-store': { type: 'boolean' },
    trust: { type: 'string', multiple: true },
    listen: { type: 'string' },
    worker: { type: 'string' },
    show: { type: 'boolean' },
    clear: { type: 'boolean' },
  });
  if (values.help) return { command: 'help', topic: 'cache' };
  const [action, ...operands] = rest;
  if (action === undefined) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `'kiln cache' needs a subcommand: ${CACHE_ACTIONS.join(', ')}`,
      {
        command: 'cache',
      },
    );
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
      let olderThanDays: number | undefined;
      if (values['older-than'] !== undefined) {
        const { ms } = parseDuration(values['older-than'], '--older-than');
        olderThanDays = ms / 86_400_000;
      }
      return { ...base, action, name, dryRun: values['dry-run'] ?? false, olderThanDays };
    }
    case 'pin':
    case 'unpin': {
      const [name = '', path = ''] = positionals(`cache ${action}`, operands, ['NAME', 'STORE_PATH']);
      return { ...base, action, name, path };
    }
    case 'worker-config': {
      const [workerId = ''] = positionals('cache worker-config', operands, ['WORKER_ID']);
      if (values['shared-store'] && values['private-store']) {
        throw new KilnError('KILN_ERR_VALIDATION', 'choose one of --shared-store and --private-store', {
          command: 'cache',
        });
      }
      return {
        ...base,
        action,
        workerId,
        cacheUrl: nonEmpty('--cache-url', values['cache-url']),
        localCache: nonEmpty('--local-cache', values['local-cache']),
        sharedStore: values['shared-store'] ? true : values['private-store'] ? false : undefined,
        trust: values.trust ?? [],
        listen: values.listen === undefined ? undefined : parseListen(values.listen),
        mode: workerConfigMode(values),
      };
    }
    case 'warm': {
      const [name = '', ...packages] = operands;
      if (name === '' || packages.length === 0) {
        throw new KilnError('KILN_ERR_VALIDATION', "'kiln cache warm' needs NAME and at least one PACKAGE", {
          command: 'cache',
        });
      }
      return { ...base, action, name, packages, workerId: nonEmpty('--worker', values.worker) ?? 'local' };
    }
    default:
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `unknown subcommand 'kiln cache ${action}' (one of: ${CACHE_ACTIONS.join(', ')})`,
        { command: 'cache' },
      );
  }
}
