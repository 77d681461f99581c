import { KilnError } from '../../errors/index.js';
import { CLIENT_OPTIONS, clientFlags, parseInteger, parseOptions, type ClientFlags } from './common.js';

export interface PushPlan {
  command: 'push';
  client: ClientFlags;
  cache: string;
  /** As given: store paths or links to them (`result`); resolved when the command runs. */
  paths: string[];
  jobs: number | undefined;
  json: boolean;
}

export const MAX_PUSH_JOBS = 64;

/** `kiln push CACHE PATH... [--jobs N] [--json]` */
export function parsePushArgs(args: readonly string[]): PushPlan | { command: 'help'; topic: 'push' } {
  const { values, positionals: rest } = parseOptions('push', args, {
    ...CLIENT_OPTIONS,
    jobs: { type: 'string', short: 'j' },
    json: { type: 'boolean' },
  });
  if (values.help) return { command: 'help', topic: 'push' };
  const [cache, ...paths] = rest;
  if (cache === undefined || cache.trim() === '' || paths.length === 0) {
    throw new KilnError('KILN_ERR_VALIDATION', "'kiln push' needs CACHE and at least one PATH", {
      command: 'push',
    });
  }
  if (paths.some((path) => path.trim() === '')) {
    throw new KilnError('KILN_ERR_VALIDATION', 'PATH must not be empty', { command: 'push' });
  }
  return {
    command: 'push',
    client: clientFlags(values),
    cache,
    paths,
    jobs: values.jobs === undefined ? undefined : parseInteger('--jobs', values.jobs, 1, MAX_PUSH_JOBS),
    json: values.json ?? false,
  };
}
