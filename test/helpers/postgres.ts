/**
 * A real PostgreSQL server for tests (Debian's `postgresql` package, no system service): a private
 * data directory and a free loopback port, started once per test process and stopped when the
 * process exits. Each caller gets its own fresh database. PostgreSQL refuses to run as root, so as
 * root the server runs as the `postgres` user the package creates.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './registry.js';

export interface PostgresServer {
  readonly port: number;
  /** `postgres://kiln@127.0.0.1:PORT/NAME` */
  url(database: string): string;
  /** Creates an empty database with a fresh name and returns its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server (fast shutdown: connections are cut). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
}

const PG_VERSIONS_DIR = '/usr/lib/postgresql';

/** Why a PostgreSQL server cannot be started here (null when it can). */
export function postgresUnavailableReason(): string | null {
  return binDir() === undefined
    ? `${PG_VERSIONS_DIR}/*/bin/postgres is not installed (apt-get install postgresql)`
    : null;
}

function binDir(): string | undefined {
  if (!existsSync(PG_VERSIONS_DIR)) return undefined;
  const versions = readdirSync(PG_VERSIONS_DIR)
    .filter((v) => existsSync(join(PG_VERSIONS_DIR, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(PG_VERSIONS_DIR, versions[0], 'bin');
}

let shared: Promise<PostgresServer> | undefined;

/** The test process's server, started on first use. */
export function sharedPostgres(): Promise<PostgresServer> {
  shared ??= startPostgres();
  return shared;
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = binDir();
  if (bin === undefined) throw new Error(postgresUnavailableReason() ?? 'no postgres');
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'kiln-pg-'));
  const data = join(dir, 'data');
  let uid: number | undefined;
  let gid: number | undefined;
  if (asRoot) {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chmodSync(dir, 0o755);
    chownSync(dir, uid, gid);
  }
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'kiln', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
    stdio: 'pipe',
    ...(uid === undefined ? {} : { uid, gid }),
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
  });
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const proc = spawn(
      join(bin, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${dir}`,
        // A test database need not survive a power cut; it must survive kill -9 of clients only.
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=300',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        ...(uid === undefined ? {} : { uid, gid }),
        env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
      },
    );
    let log = '';
    proc.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-8000)));
    // The server lives as long as the test process, which must still be able to exit.
    proc.unref();
    (proc.stderr as { unref?: () => void } | null)?.unref?.();
    child = proc;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`postgres exited:\n${log}`);
      const client = new pg.Client({ connectionString: url('postgres') });
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error(`postgres did not start:\n${log}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.ref(); // wait for it
    proc.kill('SIGINT'); // fast shutdown
    await exited;
  };
  const url = (database: string): string => `postgres://kiln@127.0.0.1:${port}/${database}`;

  await start();
  process.once('exit', () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    port,
    url,
    async createDatabase() {
      const name = `t_${randomBytes(6).toString('hex')}`;
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop,
    start,
  };
}
