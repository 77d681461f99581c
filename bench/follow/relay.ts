/**
 * The reference: the smallest honest log relay, run as its own process
 * (`node dist/bench/follow/relay.js CONFIG_JSON`). It runs the same writer scripts as plain
 * busybox processes, stamps each line when it reads it from the pipe (as kiln stamps what it reads
 * from Nix), keeps lines in memory, and sends each line to every follower as soon as it is read:
 * one serialisation, one socket write per follower. No database, no batching, no auth: the floor
 * of following a log on this machine with Node.
 *  GET /log/K?follow=1  Server-Sent Events in kiln's format (status, line, end)
 *  GET /log/K           every line so far, as JSON
 *  POST /start          starts the writers
 */
import { spawn } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writerScript, type WriterSpec } from './writer.js';

export interface RelayConfig {
  writers: WriterSpec[];
}

interface Line {
  seq: number;
  ts: string;
  stream: 'stdout';
  text: string;
}

class Log {
  readonly lines: Line[] = [];
  readonly followers = new Set<ServerResponse>();
  done = false;
  #partial = '';

  /** Splits a chunk of the writer's output into lines and sends each to every follower. */
  take(chunk: string): void {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() ?? '';
    const ts = new Date().toISOString();
    for (const text of parts) {
      const line: Line = { seq: this.lines.length + 1, ts, stream: 'stdout', text };
      this.lines.push(line);
      const event = `event: line\nid: ${line.seq}\ndata: ${JSON.stringify(line)}\n\n`;
      for (const res of this.followers) res.write(event);
    }
  }

  finish(): void {
    this.done = true;
    for (const res of this.followers) res.end('event: end\ndata: {}\n\n');
    this.followers.clear();
  }
}

function main(config: RelayConfig): void {
  const logs = config.writers.map(() => new Log());
  const start = (): void => {
    config.writers.forEach((spec, k) => {
      const child = spawn('/bin/busybox', ['sh', '-c', writerScript(spec)], {
        env: { PATH: '/usr/bin:/bin' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => logs[k]!.take(chunk));
      child.on('close', () => logs[k]!.finish());
    });
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://relay');
    if (req.method === 'POST' && url.pathname === '/start') {
      start();
      res.writeHead(204).end();
      return;
    }
    const log = logs[Number(/^\/log\/(\d+)$/.exec(url.pathname)?.[1] ?? -1)];
    if (!log) {
      res.writeHead(404).end();
      return;
    }
    if (url.searchParams.get('follow') !== '1') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ lines: log.lines }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('retry: 1000\n\nevent: status\ndata: {}\n\n');
    for (const line of log.lines)
      res.write(`event: line\nid: ${line.seq}\ndata: ${JSON.stringify(line)}\n\n`);
    if (log.done) {
      res.end('event: end\ndata: {}\n\n');
      return;
    }
    log.followers.add(res);
    res.on('close', () => log.followers.delete(res));
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}

main(JSON.parse(process.argv[2] ?? '{}') as RelayConfig);
