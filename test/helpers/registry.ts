import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from './tmp.js';

/** Debian's docker-registry (distribution 2.8) as a real process on a loopback port. */
export interface TestRegistry {
  /** `127.0.0.1:PORT` of the registry itself. */
  host: string;
  port: number;
  /** Where it stores blobs and manifests. */
  storageDir: string;
  output(): string;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port and storage. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** distribution's `auth.token` settings: JWTs from `realm`, signed by a cert chaining to the bundle. */
export interface RegistryTokenAuth {
  realm: string;
  service: string;
  issuer: string;
  /** PEM file of the certificates token signers must chain to. */
  rootCertBundle: string;
}

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * docker-registry's htpasswd wants bcrypt. Apache's `htpasswd -nbB` when it is installed;
 * otherwise Python's crypt module (glibc libxcrypt does bcrypt `$2b$`; deprecated, gone in 3.13).
 */
export function bcryptHtpasswdLine(username: string, password: string): string {
  try {
    return execFileSync('htpasswd', ['-nbB', username, password], { encoding: 'utf8' }).trim();
  } catch {
    const hash = execFileSync(
      'python3',
      [
        '-W',
        'ignore',
        '-c',
        'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))',
        password,
      ],
      { encoding: 'utf8' },
    ).trim();
    if (!hash.startsWith('$2')) throw new Error(`no bcrypt available for htpasswd (got '${hash}')`);
    return `${username}:${hash}`;
  }
}

export async function startRegistry(
  t: TestContext,
  options: { auth?: { username: string; password: string }; tokenAuth?: RegistryTokenAuth } = {},
): Promise<TestRegistry> {
  const dir = tempDir(t, 'kiln-registry-');
  const storageDir = join(dir, 'storage');
  mkdirSync(storageDir);
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: kiln-test-secret',
  ];
  if (options.auth) {
    const htpasswd = join(dir, 'htpasswd');
    writeFileSync(htpasswd, `${bcryptHtpasswdLine(options.auth.username, options.auth.password)}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: kiln-test', `    path: ${htpasswd}`);
  } else if (options.tokenAuth) {
    const { realm, service, issuer, rootCertBundle } = options.tokenAuth;
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${realm}`,
      `    service: ${service}`,
      `    issuer: ${issuer}`,
      `    rootcertbundle: ${rootCertBundle}`,
    );
  }
  const config = join(dir, 'config.yml');
  writeFileSync(config, `${lines.join('\n')}\n`);

  let child: ChildProcess | undefined;
  let out = '';
  const launch = async (): Promise<void> => {
    const proc = spawn(REGISTRY_BIN, ['serve', config], {
      env: { PATH: '/usr/bin:/bin', HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`docker-registry exited with ${proc.exitCode}:\n${out}`);
      const status = await new Promise<number>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/v2/', agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(0));
      });
      if (status === 200 || status === 401) return;
      if (Date.now() > deadline) throw new Error(`docker-registry did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await exited;
  };
  await launch();
  t.after(() => halt('SIGKILL'));
  return {
    host: `127.0.0.1:${port}`,
    port,
    storageDir,
    output: () => out,
    kill: () => halt('SIGKILL'),
    restart: launch,
    stop: () => halt('SIGTERM'),
  };
}

/** Counts blob body bytes on their way to the registry (PATCH, PUT and POST to …/blobs/uploads/). */
export interface CountingProxy {
  host: string;
  blobBytes(): number;
  reset(): void;
  /** Method and path of every request, in order. */
  requests: string[];
  /** Resolves once this many blob bytes have passed since the last reset. */
  whenBlobBytesReach(n: number): Promise<void>;
}

/** A node:http reverse proxy in front of `target`, stopped when the test ends. */
export async function startCountingProxy(t: TestContext, target: { port: number }): Promise<CountingProxy> {
  const proxy = await openCountingProxy(target);
  t.after(() => proxy.stop());
  return proxy;
}

/**
 * A node:http reverse proxy in front of `target`; requests and answers pass through unchanged.
 * The caller stops it (the benchmark uses it outside node:test).
 */
export async function openCountingProxy(target: {
  port: number;
}): Promise<CountingProxy & { stop(): Promise<void> }> {
  let bytes = 0;
  const requests: string[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const isBlobUpload = (req.url ?? '').includes('/blobs/uploads/');
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // The registry gone: the client sees its connection cut, as it would without the proxy.
    upstream.on('error', () => req.socket.destroy());
    req.on('data', (chunk: Buffer) => {
      if (!isBlobUpload) return;
      bytes += chunk.length;
      waiters = waiters.filter((w) => (bytes >= w.n ? (w.resolve(), false) : true));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    blobBytes: () => bytes,
    reset: () => {
      bytes = 0;
      requests.length = 0;
    },
    requests,
    whenBlobBytesReach: (n) =>
      new Promise<void>((resolve) => (bytes >= n ? resolve() : waiters.push({ n, resolve }))),
    stop: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
