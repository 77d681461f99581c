import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** GNU time (Debian's `time` package) reports a child's max RSS; without it each side reports its own. */
const GNU_TIME = '/usr/bin/time';
const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));
export const NIX_FLAGS = ['--extra-experimental-features', 'nix-command'];

/** One hashing run of either side. */
export interface Sample {
  sri: string;
  /** Whole process, start to exit, as a user running the command sees it. */
  wallMs: number;
  /** Peak resident memory of the hashing process, KiB (undefined when it cannot be measured). */
  maxRssKiB: number | undefined;
  /** kiln only: time inside narHash, without Node's start-up. */
  hashMs?: number;
  /** kiln only: the longest the event loop was blocked while hashing. */
  maxBlockMs?: number;
}

interface Timed {
  stdout: string;
  wallMs: number;
  maxRssKiB: number | undefined;
}

async function timed(cmd: string, args: string[]): Promise<Timed> {
  const gnuTime = existsSync(GNU_TIME);
  const start = process.hrtime.bigint();
  const { stdout, stderr } = gnuTime
    ? await run(GNU_TIME, ['-f', 'maxrss=%M', cmd, ...args], { env: process.env })
    : await run(cmd, args, { env: process.env });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const rss = /maxrss=(\d+)\s*$/.exec(stderr);
  return { stdout, wallMs, maxRssKiB: rss ? Number(rss[1]) : undefined };
}

export async function nixHashPath(path: string): Promise<Sample> {
  const { stdout, wallMs, maxRssKiB } = await timed('nix', [
    ...NIX_FLAGS,
    'hash',
    'path',
    '--type',
    'sha256',
    path,
  ]);
  return { sri: stdout.trim(), wallMs, maxRssKiB };
}

export async function kilnHashPath(path: string): Promise<Sample> {
  const { stdout, wallMs, maxRssKiB } = await timed(process.execPath, [CHILD, path]);
  const out = JSON.parse(stdout) as { sri: string; hashMs: number; maxRssKiB: number; maxBlockMs: number };
  return {
    sri: out.sri,
    wallMs,
    maxRssKiB: maxRssKiB ?? out.maxRssKiB,
    hashMs: out.hashMs,
    maxBlockMs: out.maxBlockMs,
  };
}
