import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clientEnv } from '../config/client-env.js';
import { KilnError } from '../errors/index.js';
import type { ClientFlags } from './args/index.js';
import { validateServerUrl } from './args/common.js';
import { KilnClient } from './client.js';
import type { CliIo } from './io.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:7070';
const DEFAULT_DATA_DIR = '.kiln';

export interface Connection {
  server: string;
  token: string | undefined;
}

/**
 * Where to connect and with which token. Precedence: --server/--token, then KILN_SERVER/KILN_TOKEN,
 * then the admin token file of --data DIR (required to exist when given) or of ./.kiln.
 */
export function resolveConnection(flags: ClientFlags, io: CliIo): Connection {
  const fromEnv = clientEnv(io.env);
  let server = flags.server;
  if (server === undefined && fromEnv.server !== undefined)
    server = validateServerUrl(fromEnv.server, 'KILN_SERVER');
  server ??= DEFAULT_SERVER;

  let token = flags.token ?? fromEnv.token;
  if (token === undefined) {
    const cwd = io.cwd ?? process.cwd();
    if (flags.dataDir !== undefined) {
      token = readTokenFile(join(resolve(cwd, flags.dataDir), 'admin.token'), true);
    } else {
      const fallback = join(cwd, DEFAULT_DATA_DIR, 'admin.token');
      if (existsSync(fallback)) token = readTokenFile(fallback, false);
    }
  }
  return { server, token };
}

function readTokenFile(path: string, required: boolean): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (!required) return undefined;
      throw new KilnError(
        'KILN_ERR_FILE_NOT_FOUND',
        `no admin token at ${path} (is --data the server's data directory?)`,
        {
          path,
        },
      );
    }
    throw new KilnError('KILN_ERR_CONFIG', `cannot read the admin token at ${path}: ${code ?? String(err)}`, {
      path,
    });
  }
  const token = text.trim();
  if (token === '') throw new KilnError('KILN_ERR_CONFIG', `the admin token file ${path} is empty`, { path });
  return token;
}

export function connect(flags: ClientFlags, io: CliIo): KilnClient {
  const { server, token } = resolveConnection(flags, io);
  return new KilnClient({ server, token });
}
