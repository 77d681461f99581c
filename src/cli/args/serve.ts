import { KilnError } from '../../errors/index.js';
import { nonEmpty, parseInteger, positionals, parseOptions } from './common.js';

export interface ServePlan {
  command: 'serve';
  dataDir: string;
  host: string;
  port: number;
  concurrency: number | undefined;
}

export const DEFAULT_DATA_DIR = '.kiln';
export const DEFAULT_LISTEN = '127.0.0.1:7070';

export function parseServeArgs(args: readonly string[]): ServePlan | { command: 'help'; topic: 'serve' } {
  const { values, positionals: rest } = parseOptions('serve', args, {
    data: { type: 'string' },
    listen: { type: 'string' },
    concurrency: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { command: 'help', topic: 'serve' };
  positionals('serve', rest, []);
  const { host, port } = parseListen(values.listen ?? DEFAULT_LISTEN);
  return {
    command: 'serve',
    dataDir: nonEmpty('--data', values.data) ?? DEFAULT_DATA_DIR,
    host,
    port,
    concurrency:
      values.concurrency === undefined
        ? undefined
        : parseInteger('--concurrency', values.concurrency, 1, 1024),
  };
}

/** `HOST:PORT`, `[IPV6]:PORT` or `:PORT` (loopback). Port 0 asks the OS for a free port. */
export function parseListen(raw: string): { host: string; port: number } {
  const bad = (): KilnError =>
    new KilnError('KILN_ERR_VALIDATION', `option '--listen' expects HOST:PORT, got ${JSON.stringify(raw)}`, {
      option: '--listen',
    });
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(raw.trim());
  if (!match) throw bad();
  const host = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  if (port > 65535) throw bad();
  return { host: host === '' ? '127.0.0.1' : host, port };
}
