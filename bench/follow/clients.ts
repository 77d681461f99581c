/**
 * The load generator, run as its own process (`node dist/bench/follow/clients.js CONFIG_JSON`) so
 * it does not share the server's event loop: `clients` followers, each with one SSE stream per
 * target log. Prints `connected` when every stream has its first event, then one JSON line with
 * the result when every stream has ended.
 */
import { setMaxListeners } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SseParser } from '../../src/cli/sse.js';
import { LogFingerprint, newHistogram, record, sparse } from './stats.js';

export interface ClientsConfig {
  /** Full URLs of the SSE streams to follow, one per log. */
  targets: string[];
  clients: number;
  headers: Record<string, string>;
  /** Give up (and report what arrived) after this long. */
  timeoutMs: number;
}

export interface StreamResult {
  target: number;
  count: number;
  disorders: number;
  digest: string;
  ended: boolean;
  error?: string;
}

export interface ClientsResult {
  streams: StreamResult[];
  /** Latency of lines stamped after their stream connected: [ms, count] pairs. */
  histogram: [number, number][];
  /** Lines stamped before their stream connected (history, not live): excluded from latency. */
  backlog: number;
  firstLiveAt: number;
  lastLineAt: number;
  cpuMs: number;
  loopDelayP99Ms: number;
}

interface LineData {
  seq: number;
  ts: string;
  text: string;
}

function follow(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  onLine: (line: LineData) => void,
  onReady: () => void,
): Promise<{ ended: boolean; error?: string }> {
  return new Promise((resolve) => {
    const parser = new SseParser();
    let ended = false;
    let ready = false;
    const req = request(url, { headers: { ...headers, accept: 'text/event-stream' }, agent: false, signal });
    req.on('response', (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        resolve({ ended: false, error: `HTTP ${res.statusCode}` });
        return;
      }
      res.on('data', (chunk: Buffer) => {
        for (const message of parser.push(chunk)) {
          if (message.type !== 'event') continue;
          if (!ready) {
            ready = true;
            onReady();
          }
          if (message.event === 'line') onLine(JSON.parse(message.data) as LineData);
          else if (message.event === 'end') {
            ended = true;
            res.destroy();
          }
        }
      });
      res.on('close', () => resolve({ ended }));
      res.on('error', () => undefined); // destroy() after `end` is ours; `close` reports the rest
    });
    req.on('error', (error) => resolve({ ended, error: error.message }));
    req.end();
  });
}

async function main(config: ClientsConfig): Promise<void> {
  const histogram = newHistogram();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  let backlog = 0;
  let firstLiveAt = 0;
  let lastLineAt = 0;
  let waiting = config.clients * config.targets.length;
  const cpuStart = process.cpuUsage();
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // one listener per stream
  const timeout = setTimeout(() => {
    process.stderr.write('follow clients: time limit reached, reporting what arrived\n');
    stop.abort();
  }, config.timeoutMs);
  loop.enable();
  const runs: Promise<StreamResult>[] = [];
  for (let c = 0; c < config.clients; c++) {
    config.targets.forEach((url, target) => {
      const print = new LogFingerprint();
      const connectedAt = Date.now();
      const done = follow(
        url,
        config.headers,
        stop.signal,
        (line) => {
          const now = Date.now();
          const written = Date.parse(line.ts);
          print.add(line.seq, line.text);
          lastLineAt = now;
          if (written < connectedAt) {
            backlog++;
            return;
          }
          if (firstLiveAt === 0) firstLiveAt = now;
          record(histogram, now - written);
        },
        () => {
          if (--waiting === 0) process.stdout.write('connected\n');
        },
      );
      runs.push(
        done.then((outcome) => ({
          target,
          count: print.count,
          disorders: print.disorders,
          digest: print.digest(),
          ...outcome,
        })),
      );
    });
  }
  const streams = await Promise.all(runs);
  clearTimeout(timeout);
  loop.disable();
  const cpu = process.cpuUsage(cpuStart);
  const result: ClientsResult = {
    streams,
    histogram: sparse(histogram),
    backlog,
    firstLiveAt,
    lastLineAt,
    cpuMs: (cpu.user + cpu.system) / 1000,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main(JSON.parse(process.argv[2] ?? '{}') as ClientsConfig);
