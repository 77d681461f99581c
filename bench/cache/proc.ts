/** Subprocesses and timing for the cache benchmark: argument arrays, explicit env, time limits. */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** The environment every benchmark subprocess starts from: ours, plus /usr/sbin for nginx. */
export function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const path = process.env['PATH'] ?? '/usr/bin:/bin';
  return { ...process.env, PATH: `${path}:/usr/sbin:/sbin`, ...extra };
}

/** Runs a program to completion; resolves with stdout, rejects with its stderr on failure. */
export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        env: options.env ?? baseEnv(),
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 1 << 26,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${cmd} ${args.join(' ')} failed: ${error.message}\n${stderr}`.trim()));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/** Milliseconds `fn` takes. */
export async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A TCP port nobody listens on right now (for nginx, which cannot report a port 0 choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
