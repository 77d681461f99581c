import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import type { BuildView } from '../../../src/api/schemas.js';

/** A request as the fake server saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export type Handler = (req: SeenRequest, res: ServerResponse) => void | Promise<void>;

/**
 * A tiny HTTP server on 127.0.0.1:0 serving canned kiln API answers. The protocol is our own, so a
 * fake is fine for the client's unit tests (the lead's end-to-end tests use the real server).
 */
export async function fakeServer(
  t: TestContext,
  handler: Handler,
): Promise<{ url: string; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const text = Buffer.concat(chunks).toString('utf8');
      const request: SeenRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      seen.push(request);
      Promise.resolve(handler(request, res)).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

export function startSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
}

export function sseEvent(event: string, data: unknown, id?: number): string {
  return `event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
}

export function logLine(
  seq: number,
  text: string,
): { seq: number; ts: string; stream: string; text: string } {
  return { seq, ts: '2024-05-01T12:00:00.000Z', stream: 'stdout', text };
}

/** A complete BuildView with sensible defaults. */
export function buildView(overrides: Partial<BuildView> = {}): BuildView {
  return {
    id: 'b1',
    status: 'pending',
    source: { kind: 'expr', fileName: 'hello.nix' },
    system: null,
    groupId: null,
    serviceId: null,
    labels: {},
    priority: 0,
    envNames: [],
    timeoutSeconds: 1800,
    maxSilentSeconds: 0,
    drvPaths: [],
    outputs: [],
    artifactSize: null,
    exitCode: null,
    error: null,
    reason: null,
    progress: { done: 0, expected: 0, running: 0, failed: 0, phase: null, activeDrv: null },
    createdAt: '2024-05-01T12:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    attempts: 1,
    cancelRequestedAt: null,
    cached: false,
    commit: null,
    image: null,
    imageRef: null,
    imageConfig: null,
    deployHook: null,
    deploy: null,
    bump: null,
    pushCache: null,
    substituted: [],
    built: [],
    pushed: [],
    projectId: null,
    trigger: null,
    concurrencyKey: null,
    dependsOn: [],
    attrPath: null,
    ...overrides,
  };
}

export function succeeded(id = 'b1', overrides: Partial<BuildView> = {}): BuildView {
  return buildView({
    id,
    status: 'succeeded',
    outputs: ['/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello'],
    artifactSize: 2048,
    startedAt: '2024-05-01T12:00:01.000Z',
    finishedAt: '2024-05-01T12:00:03.500Z',
    durationMs: 2500,
    exitCode: 0,
    ...overrides,
  });
}

/** In-memory stdout/stderr for runCli. */
export function collector(): { sink: { write(text: string): boolean }; text(): string } {
  let buffer = '';
  return {
    sink: {
      write(text: string): boolean {
        buffer += text;
        return true;
      },
    },
    text: () => buffer,
  };
}

/** A loopback port nothing listens on (bound, then released), for connection-refused tests. */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
