/**
 * Debian's docker-registry (distribution 2.8) started as test/helpers/registry.ts starts it, but
 * owned by the benchmark instead of a node:test context (the byte-counting proxy in front of one is
 * the test helper's openCountingProxy). Each registry gets its own storage and a port no earlier registry of this run had, so a
 * client's memory of "blob X is in repository Y of host:port" (skopeo's blob-info cache) never
 * points at anything in a new one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { freePort, REGISTRY_BIN } from '../../test/helpers/registry.js';

export interface BenchRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  stop(): Promise<void>;
}

const usedPorts = new Set<number>();

async function unusedPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!usedPorts.has(port)) {
      usedPorts.add(port);
      return port;
    }
  }
}

async function v2Status(port: number): Promise<number> {
  return new Promise<number>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/v2/', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

/** A registry with fresh storage under `dir`; resolves once GET /v2/ answers. */
export async function startBenchRegistry(dir: string): Promise<BenchRegistry> {
  const storage = join(dir, 'storage');
  mkdirSync(storage, { recursive: true });
  const port = await unusedPort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      // Warnings only: per-request info lines cost the registry time, the same for both sides.
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storage}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  secret: kiln-bench-secret',
      '',
    ].join('\n'),
  );
  let out = '';
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', config], {
    env: { PATH: '/usr/bin:/bin', HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}:\n${out}`);
    const status = await v2Status(port);
    if (status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host: `127.0.0.1:${port}`, port, stop };
}
