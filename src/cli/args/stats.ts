import {
  CLIENT_OPTIONS,
  clientFlags,
  nonEmpty,
  parseKeyValue,
  positionals,
  type ClientFlags,
  parseOptions,
} from './common.js';

export interface StatsPlan {
  command: 'stats';
  client: ClientFlags;
  serviceId: string | undefined;
  /** `KEY=VALUE`, as the API's `label` query parameter expects it. */
  label: string | undefined;
  json: boolean;
}

export function parseStatsArgs(args: readonly string[]): StatsPlan | { command: 'help'; topic: 'stats' } {
  const { values, positionals: rest } = parseOptions('stats', args, {
    ...CLIENT_OPTIONS,
    json: { type: 'boolean' },
    service: { type: 'string' },
    label: { type: 'string', short: 'l' },
  });
  if (values.help) return { command: 'help', topic: 'stats' };
  positionals('stats', rest, []);
  let label: string | undefined;
  if (values.label !== undefined) {
    const [key, value] = parseKeyValue('--label', values.label);
    label = `${key}=${value}`;
  }
  return {
    command: 'stats',
    client: clientFlags(values),
    serviceId: nonEmpty('--service', values.service),
    label,
    json: values.json ?? false,
  };
}
