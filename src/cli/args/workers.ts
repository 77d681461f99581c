import { CLIENT_OPTIONS, clientFlags, positionals, type ClientFlags, parseOptions } from './common.js';

export interface WorkersPlan {
  command: 'workers';
  client: ClientFlags;
  /** Also list workers that stopped heartbeating. */
  all: boolean;
  json: boolean;
}

export function parseWorkersArgs(
  args: readonly string[],
): WorkersPlan | { command: 'help'; topic: 'workers' } {
  const { values, positionals: rest } = parseOptions('workers', args, {
    ...CLIENT_OPTIONS,
    all: { type: 'boolean', short: 'a' },
    json: { type: 'boolean' },
  });
  if (values.help) return { command: 'help', topic: 'workers' };
  positionals('workers', rest, []);
  return {
    command: 'workers',
    client: clientFlags(values),
    all: values.all ?? false,
    json: values.json ?? false,
  };
}
