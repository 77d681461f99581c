import { createReadStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

/** A request body that can be sent again (a retry, or a retry after a 401). */
export type RequestBody =
  { kind: 'buffer'; data: Buffer } | { kind: 'file'; path: string; start: number; length: number };

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers: Record<string, string>;
  body?: RequestBody;
  signal?: AbortSignal;
  /** Responses larger than this are cut (registry JSON and manifests are small). */
  maxResponseBytes?: number;
  /** Counts body bytes as they are handed to the socket. */
  onBodyBytes?: (n: number) => void;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpTransport {
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): void;
}

/** A socket silent for this long is dead; the request fails with ETIMEDOUT and may be retried. */
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/**
 * node:http(s) with keep-alive agents of our own (so connections are reused across the many HEADs
 * and PATCHes of a push, and closed when the push ends) and file bodies streamed from disk.
 */
export function createHttpTransport(options: { maxSockets: number; idleTimeoutMs?: number }): HttpTransport {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  return {
    request: (req) => send(req, req.url.protocol === 'https:' ? agents.https : agents.http, idleTimeoutMs),
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function bodyLength(body: RequestBody | undefined): number {
  if (body === undefined) return 0;
  return body.kind === 'buffer' ? body.data.length : body.length;
}

function send(req: HttpRequest, agent: http.Agent, idleTimeoutMs: number): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.method !== 'GET' && req.method !== 'HEAD')
      headers['Content-Length'] = String(bodyLength(req.body));
    const module = req.url.protocol === 'https:' ? https : http;
    let responded = false;
    const outgoing = module.request(
      req.url,
      { method: req.method, headers, agent, signal: req.signal },
      (res) => {
        responded = true;
        const chunks: Buffer[] = [];
        let size = 0;
        const limit = req.maxResponseBytes ?? 8 << 20;
        res.on('data', (chunk: Buffer) => {
          if (size < limit) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    outgoing.setTimeout(idleTimeoutMs, () => {
      const error = Object.assign(new Error(`no response from ${req.url.host} in ${idleTimeoutMs} ms`), {
        code: 'ETIMEDOUT',
      });
      outgoing.destroy(error);
    });
    // A registry may answer (401, 416, …) before it has read the body and close the socket; the
    // answer is what counts then, not the write error that follows.
    outgoing.on('error', (error) => {
      if (!responded) reject(error);
    });
    const body = req.body;
    if (body === undefined) outgoing.end();
    else if (body.kind === 'buffer') {
      outgoing.end(body.data);
      req.onBodyBytes?.(body.data.length);
    } else if (body.length === 0) outgoing.end();
    else {
      const stream = createReadStream(body.path, { start: body.start, end: body.start + body.length - 1 });
      stream.on('data', (chunk) => req.onBodyBytes?.(chunk.length));
      stream.on('error', (error) => outgoing.destroy(error));
      stream.pipe(outgoing);
    }
  });
}
