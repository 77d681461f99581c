import { CLIENT_OPTIONS, clientFlags, positionals, parseOptions, type ClientFlags } from './common.js';

/** `kiln status ID`, `kiln logs ID` and `kiln cancel ID`: one build id plus a flag or two. */

export interface StatusPlan {
  command: 'status';
  client: ClientFlags;
  id: string;
  json: boolean;
}
export interface LogsPlan {
  command: 'logs';
  client: ClientFlags;
  id: string;
  follow: boolean;
}
export interface CancelPlan {
  command: 'cancel';
  client: ClientFlags;
  id: string;
  json: boolean;
}

export function parseStatusArgs(args: readonly string[]): StatusPlan | { command: 'help'; topic: 'status' } {
  const { values, positionals: rest } = parseOptions('status', args, {
    ...CLIENT_OPTIONS,
    json: { type: 'boolean' },
  });
  if (values.help) return { command: 'help', topic: 'status' };
  const [id = ''] = positionals('status', rest, ['ID']);
  return { command: 'status', client: clientFlags(values), id, json: values.json ?? false };
}

export function parseLogsArgs(args: readonly string[]): LogsPlan | { command: 'help'; topic: 'logs' } {
  const { values, positionals: rest } = parseOptions('logs', args, {
    ...CLIENT_OPTIONS,
    follow: { type: 'boolean', short: 'f' },
  });
  if (values.help) return { command: 'help', topic: 'logs' };
  const [id = ''] = positionals('logs', rest, ['ID']);
  return { command: 'logs', client: clientFlags(values), id, follow: values.follow ?? false };
}

export function parseCancelArgs(args: readonly string[]): CancelPlan | { command: 'help'; topic: 'cancel' } {
  const { values, positionals: rest } = parseOptions('cancel', args, {
    ...CLIENT_OPTIONS,
    json: { type: 'boolean' },
  });
  if (values.help) return { command: 'help', topic: 'cancel' };
  const [id = ''] = positionals('cancel', rest, ['ID']);
  return { command: 'cancel', client: clientFlags(values), id, json: values.json ?? false };
}
