/** wrk against narinfo URLs: the Lua script that picks a random path per request, and its output. */
import { writeFileSync } from 'node:fs';
import { run } from './proc.js';

/** A wrk script requesting one of `urlPaths` (absolute paths, e.g. `/cache/x/<hash>.narinfo`) at random. */
export function randomPathScript(urlPaths: readonly string[]): string {
  for (const p of urlPaths) {
    if (!/^\/[A-Za-z0-9._/-]*$/.test(p)) throw new Error(`not a plain URL path: ${p}`);
  }
  const list = urlPaths.map((p) => `  "${p}",`).join('\n');
  return `local paths = {
${list}
}
local count = #paths
math.randomseed(os.time())
request = function()
  return wrk.format("GET", paths[math.random(count)])
end
`;
}

export interface WrkResult {
  requestsPerSecond: number;
  /** Latency percentiles from `--latency`, in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses that were not 2xx or 3xx, and socket errors: anything but 0 spoils the run. */
  errors: number;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  switch (unit) {
    case 'us':
      return n / 1000;
    case 'ms':
      return n;
    case 's':
      return n * 1000;
    case 'm':
      return n * 60_000;
    default:
      throw new Error(`unknown wrk time unit ${unit}`);
  }
}

/** Parses wrk 4's report (run with `--latency`). */
export function parseWrkOutput(text: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const total = /(\d+) requests in /.exec(text);
  const percentile = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text);
    if (!m) throw new Error(`wrk output has no ${p}% latency:\n${text}`);
    return toMs(m[1]!, m[2]!);
  };
  if (!rps || !total) throw new Error(`unexpected wrk output:\n${text}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: percentile('50'),
    p99Ms: percentile('99'),
    requests: Number(total[1]),
    errors: Number(non2xx?.[1] ?? 0) + socketErrors,
  };
}

export interface WrkOptions {
  baseUrl: string;
  scriptFile: string;
  connections: number;
  threads: number;
  seconds: number;
}

export async function runWrk(opts: WrkOptions): Promise<WrkResult> {
  const out = await run(
    'wrk',
    [
      '-t',
      String(opts.threads),
      '-c',
      String(opts.connections),
      '-d',
      `${opts.seconds}s`,
      '--latency',
      '-s',
      opts.scriptFile,
      opts.baseUrl,
    ],
    { timeoutMs: (opts.seconds + 60) * 1000 },
  );
  return parseWrkOutput(out);
}

export function writeScript(file: string, urlPaths: readonly string[]): string {
  writeFileSync(file, randomPathScript(urlPaths));
  return file;
}
