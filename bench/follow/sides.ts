/**
 * The two sides of the follow benchmark, each run with the same writers and the same load
 * generator: kiln (a real `kiln serve`, the writers as Nix builds) and the reference relay.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startServerProcess } from '../../test/helpers/server-process.js';
import type { ClientsResult } from './clients.js';
import { machineCpuMs, processCpuMs, startClients, startNodeServer } from './procs.js';
import type { RelayConfig } from './relay.js';
import { LogFingerprint } from './stats.js';
import { writerDerivation, type WriterSpec } from './writer.js';

export interface Load {
  clients: number;
  logs: number;
  lines: number;
  intervalMs: number;
}

export interface SideResult {
  clients: ClientsResult;
  /** The stored log of each target, as the server hands it out after the end. */
  stored: { count: number; digest: string }[];
  serverCpuMs: number;
  /** Share of the machine's CPU time that was busy while the followers ran. */
  machineBusy: number;
  problems: string[];
}

interface StoredLine {
  seq: number;
  text: string;
}

function fingerprint(lines: readonly StoredLine[]): { count: number; digest: string } {
  const print = new LogFingerprint();
  for (const line of lines) print.add(line.seq, line.text);
  return { count: print.count, digest: print.digest() };
}

function specs(load: Load, startDelayS: number): WriterSpec[] {
  return Array.from({ length: load.logs }, (_, index) => ({
    index,
    lines: load.lines,
    intervalMs: load.intervalMs,
    startDelayS,
  }));
}

function timeLimitMs(load: Load, startDelayS: number): number {
  // Generous: usleep and fork cost more than the interval on a busy machine.
  return (startDelayS + (load.lines * load.intervalMs * 3) / 1000 + 60) * 1000;
}

/** Runs the followers against targets between `start` and the end of every stream. */
async function measure(
  targets: string[],
  headers: Record<string, string>,
  load: Load,
  startDelayS: number,
  serverPid: number,
  begin: () => Promise<void>,
): Promise<{ clients: ClientsResult; serverCpuMs: number; machineBusy: number }> {
  const clients = startClients({
    targets,
    clients: load.clients,
    headers,
    timeoutMs: timeLimitMs(load, startDelayS),
  });
  await clients.connected;
  const cpu0 = processCpuMs(serverPid);
  const machine0 = machineCpuMs();
  await begin();
  const result = await clients.result;
  const machine1 = machineCpuMs();
  return {
    clients: result,
    serverCpuMs: processCpuMs(serverPid) - cpu0,
    machineBusy: (machine1.busy - machine0.busy) / (machine1.total - machine0.total),
  };
}

/** The reference relay with the same writers as plain processes. */
export async function runRelaySide(load: Load): Promise<SideResult> {
  const startDelayS = 1;
  const config: RelayConfig = { writers: specs(load, startDelayS) };
  const relay = await startNodeServer('relay.js', JSON.stringify(config));
  try {
    const targets = config.writers.map((_, k) => `${relay.url}/log/${k}?follow=1`);
    const measured = await measure(targets, {}, load, startDelayS, relay.child.pid!, async () => {
      const res = await fetch(`${relay.url}/start`, { method: 'POST' });
      if (res.status !== 204) throw new Error(`relay /start answered ${res.status}`);
    });
    const stored = await Promise.all(
      config.writers.map(async (_, k) => {
        const res = await fetch(`${relay.url}/log/${k}`);
        return fingerprint(((await res.json()) as { lines: StoredLine[] }).lines);
      }),
    );
    return { ...measured, stored, problems: [] };
  } finally {
    await relay.stop();
  }
}

const profiler = pathToFileURL(
  join(dirname(fileURLToPath(import.meta.url)), '..', 'cache', 'cpu-profile.js'),
);

export interface KilnSide {
  round(): Promise<SideResult>;
  stop(): Promise<void>;
}

/**
 * kiln: a real `kiln serve` (one for every round) running one Nix build per writer at once; the
 * followers connect while the builds wait out their start delay (Nix starts in that time too).
 */
export async function startKilnSide(load: Load, dataDir: string): Promise<KilnSide> {
  const startDelayS = 6;
  const env: Record<string, string> = process.env['KILN_BENCH_CPU_PROF']
    ? { NODE_OPTIONS: `--import=${profiler.href}` }
    : {};
  const server = await startServerProcess(dataDir, ['--concurrency', String(load.logs)], env);
  const headers = { authorization: `Bearer ${server.token}` };
  const round = async (): Promise<SideResult> => {
    const problems: string[] = [];
    const nonce = randomBytes(8).toString('hex');
    const ids = await Promise.all(
      specs(load, startDelayS).map(async (spec) => {
        const res = await fetch(`${server.url}/api/v1/builds`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ source: { kind: 'expr', expression: writerDerivation(spec, nonce) } }),
        });
        if (res.status !== 201) throw new Error(`submit failed: ${res.status} ${await res.text()}`);
        return ((await res.json()) as { builds: { id: string }[] }).builds[0]!.id;
      }),
    );
    const targets = ids.map((id) => `${server.url}/api/v1/builds/${id}/log?follow=1`);
    const measured = await measure(targets, headers, load, startDelayS, server.child.pid!, async () => {
      // The builds are already on their way; they start writing after their delay.
    });
    const stored = await Promise.all(
      ids.map(async (id) => {
        const build = (await (await fetch(`${server.url}/api/v1/builds/${id}`, { headers })).json()) as {
          status: string;
          error?: string;
        };
        if (build.status !== 'succeeded') problems.push(`build ${id} ${build.status}: ${build.error ?? ''}`);
        const res = await fetch(`${server.url}/api/v1/builds/${id}/log?limit=100000`, { headers });
        return fingerprint(((await res.json()) as { lines: StoredLine[] }).lines);
      }),
    );
    return { ...measured, stored, problems };
  };
  return { round, stop: () => server.stop() };
}
