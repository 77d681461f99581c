/** Child processes of the follow benchmark and the machine's load while it runs. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientsConfig, ClientsResult } from './clients.js';

const here = dirname(fileURLToPath(import.meta.url));

/** A running load generator: `connected` resolves when every stream is open, `result` at the end. */
export interface Clients {
  connected: Promise<void>;
  result: Promise<ClientsResult>;
}

export function startClients(config: ClientsConfig): Clients {
  const child = spawn(process.execPath, [join(here, 'clients.js'), JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let onConnected: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    if (out.startsWith('connected\n')) onConnected();
  });
  const result = new Promise<ClientsResult>((resolve, reject) => {
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as ClientsResult);
      else reject(new Error(`the follow clients exited with ${code}: ${out.slice(-500)}`));
    });
  });
  // A generator that fails before connecting must not leave the caller waiting forever.
  void result.catch(() => onConnected());
  return { connected, result };
}

/** Starts a node script of this directory and waits for the `listening on URL` line it prints. */
export function startNodeServer(
  script: string,
  arg: string,
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(here, script), arg], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match)
        resolve({
          url: match[1]!,
          child,
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${out}`)));
  });
}

const TICK_MS = 1000 / 100; // USER_HZ on Linux

/** CPU milliseconds a process has used so far (user + system), from /proc. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command name and state.
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** Busy and total CPU milliseconds of the whole machine so far, from /proc/stat. */
export function machineCpuMs(): { busy: number; total: number } {
  const first = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const ticks = first.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
}
