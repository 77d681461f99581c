import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { PushTransport, PutBody, TransportResponse } from './types.js';

export interface HttpTransportOptions {
  /** Base URL of the kiln server; a path prefix is kept. */
  server: string;
  token?: string | undefined;
  /** A request with no answer for this long fails (and is retried); default 5 minutes. */
  timeoutMs?: number | undefined;
}

const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * The push transport over node:http (not fetch: the CLI avoids fetch's start-up cost). Keep-alive
 * agents, so a push of many small paths does not open a connection per request.
 */
export function httpPushTransport(options: HttpTransportOptions): PushTransport & { close(): void } {
  const base = options.server.replace(/\/+$/, '');
  const secure = base.startsWith('https:');
  const agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const timeoutMs = options.timeoutMs ?? 300_000;
  const auth: Record<string, string> =
    options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };

  const send = (
    method: string,
    path: string,
    headers: Record<string, string>,
    body: PutBody,
    signal: AbortSignal,
  ): Promise<TransportResponse> =>
    new Promise((resolve, reject) => {
      const request = secure ? httpsRequest : httpRequest;
      const length = body.kind === 'bytes' ? body.bytes.length : body.length;
      const req = request(
        new URL(base + path),
        {
          method,
          agent,
          signal,
          timeout: timeoutMs,
          headers: { ...auth, ...headers, 'content-length': String(length) },
        },
        (res) => void readAnswer(res).then(resolve, reject),
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      if (body.kind === 'bytes') {
        req.end(body.bytes);
        return;
      }
      void pump(body.open(), req).catch((error: unknown) =>
        req.destroy(error instanceof Error ? error : new Error(String(error))),
      );
    });

  return {
    postJson(path, value, signal) {
      const bytes = Buffer.from(JSON.stringify(value));
      return send(
        'POST',
        path,
        { 'content-type': 'application/json', accept: 'application/json' },
        { kind: 'bytes', bytes },
        signal,
      );
    },
    put(path, body, contentType, signal) {
      return send('PUT', path, { 'content-type': contentType }, body, signal);
    },
    close() {
      agent.destroy();
    },
  };
}

async function pump(source: AsyncIterable<Uint8Array>, req: ClientRequest): Promise<void> {
  for await (const chunk of source) {
    if (req.destroyed) return;
    if (!req.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          req.off('drain', done);
          req.off('close', done);
          resolve();
        };
        req.on('drain', done);
        req.on('close', done);
      });
    }
  }
  req.end();
}

async function readAnswer(res: IncomingMessage): Promise<TransportResponse> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    const buffer = chunk as Buffer;
    // An error page is all we read; anything past the cap is not needed to report it.
    if (size < MAX_ANSWER_BYTES) chunks.push(buffer);
    size += buffer.length;
  }
  return { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') };
}
