import { KilnError } from '../../errors/index.js';
import {
  CLIENT_OPTIONS,
  clientFlags,
  nonEmpty,
  parseInteger,
  positionals,
  type ClientFlags,
  parseOptions,
} from './common.js';

export interface ListPlan {
  command: 'list';
  client: ClientFlags;
  statuses: string[];
  serviceId: string | undefined;
  limit: number | undefined;
  json: boolean;
}

export const BUILD_STATUSES: readonly string[] = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'superseded',
  'dependency_failed',
];

export function parseListArgs(args: readonly string[]): ListPlan | { command: 'help'; topic: 'list' } {
  const { values, positionals: rest } = parseOptions('list', args, {
    ...CLIENT_OPTIONS,
    json: { type: 'boolean' },
    status: { type: 'string', multiple: true },
    service: { type: 'string' },
    limit: { type: 'string', short: 'n' },
  });
  if (values.help) return { command: 'help', topic: 'list' };
  positionals('list', rest, []);
  // `--status failed,timed_out` and `--status failed --status timed_out` both work.
  const statuses = (values.status ?? []).flatMap((s) => s.split(',')).map((s) => s.trim());
  for (const status of statuses) {
    if (!BUILD_STATUSES.includes(status)) {
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `option '--status' expects one of ${BUILD_STATUSES.join(', ')}; got ${JSON.stringify(status)}`,
        { option: '--status' },
      );
    }
  }
  return {
    command: 'list',
    client: clientFlags(values),
    statuses: [...new Set(statuses)],
    serviceId: nonEmpty('--service', values.service),
    limit: values.limit === undefined ? undefined : parseInteger('--limit', values.limit, 1, 500),
    json: values.json ?? false,
  };
}
