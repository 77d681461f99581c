import { resolve } from 'node:path';
import { KilnError } from '../../errors/index.js';
import { nonEmpty, parseInteger, positionals, parseOptions } from './common.js';

export interface ServePlan {
  command: 'serve';
  dataDir: string;
  host: string;
  port: number;
  concurrency: number | undefined;
  /** `--role`: which parts this process runs (all, api, worker, cache); undefined: the config's. */
  role: ServeRole | undefined;
  /** This worker's own Nix store (`--nix-store`), builders file, substituters and keys. */
  nix: ServeNixOptions;
  /** `--database URL`: PostgreSQL instead of SQLite under the data directory. */
  databaseUrl: string | undefined;
}

export interface ServeNixOptions {
  store?: string;
  builders?: string;
  substituters?: string[];
  trustedPublicKeys?: string[];
}

export const SERVE_ROLES = ['all', 'api', 'worker', 'cache'] as const;
export type ServeRole = (typeof SERVE_ROLES)[number];

export const DEFAULT_DATA_DIR = '.kiln';
export const DEFAULT_LISTEN = '127.0.0.1:7070';

export function parseServeArgs(args: readonly string[]): ServePlan | { command: 'help'; topic: 'serve' } {
  const { values, positionals: rest } = parseOptions('serve', args, {
    data: { type: 'string' },
    listen: { type: 'string' },
    concurrency: { type: 'string' },
    role: { type: 'string' },
    'nix-store': { type: 'string' },
    builders: { type: 'string' },
    substituter: { type: 'string', multiple: true },
    'trusted-public-key': { type: 'string', multiple: true },
    database: { type: 'string' },
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
    role: parseRole(values.role),
    nix: serveNixOptions(values),
    databaseUrl: nonEmpty('--database', values.database),
  };
}

function parseRole(raw: string | undefined): ServeRole | undefined {
  if (raw === undefined) return undefined;
  const role = SERVE_ROLES.find((candidate) => candidate === raw);
  if (role === undefined) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `option '--role' expects one of ${SERVE_ROLES.join(', ')}, got ${JSON.stringify(raw)}`,
      {
        option: '--role',
      },
    );
  }
  return role;
}

/** A store URL (`local?root=…`, `ssh-ng://…`) or one of Nix's names, rather than a directory. */
function isStoreName(store: string): boolean {
  return /[:?]/.test(store) || ['auto', 'daemon', 'local'].includes(store);
}

/** The per-worker Nix flags; relative paths are taken from the current directory. */
function serveNixOptions(values: {
  'nix-store'?: string | undefined;
  builders?: string | undefined;
  substituter?: string[] | undefined;
  'trusted-public-key'?: string[] | undefined;
}): ServeNixOptions {
  const store = nonEmpty('--nix-store', values['nix-store']);
  const builders = nonEmpty('--builders', values.builders);
  const substituters = (values.substituter ?? []).map((s) => nonEmpty('--substituter', s) ?? '');
  const keys = (values['trusted-public-key'] ?? []).map((k) => nonEmpty('--trusted-public-key', k) ?? '');
  return {
    ...(store !== undefined && { store: isStoreName(store) ? store : resolve(store) }),
    ...(builders !== undefined && { builders: resolve(builders) }),
    ...(substituters.length > 0 && { substituters }),
    ...(keys.length > 0 && { trustedPublicKeys: keys }),
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
