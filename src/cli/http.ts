import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * A small HTTP client on node:http. The CLI uses it instead of the global fetch because loading
 * fetch's implementation costs Node 20 about 150 ms at start-up, more than kiln's whole server-side
 * overhead for a cached build.
 */
export interface HttpResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  /** The body as a byte stream; `cancel()` drops the connection. */
  readonly body: AsyncIterable<Uint8Array> & { cancel(): Promise<void> };
}

export interface HttpRequestInit {
  method: string;
  headers: Record<string, string>;
  body: string | null;
  signal: AbortSignal | null;
}

export function httpFetch(url: string, init: HttpRequestInit): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = { ...init.headers };
    if (init.body !== null) headers['content-length'] = String(Buffer.byteLength(init.body));
    const req = send(target, { method: init.method, headers, signal: init.signal ?? undefined }, (res) =>
      resolve(wrap(res)),
    );
    req.on('error', (error) => reject(toFetchLikeError(error, init.signal)));
    if (init.body !== null) req.write(init.body);
    req.end();
  });
}

function toFetchLikeError(error: Error, signal: AbortSignal | null): Error {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    return reason instanceof Error ? reason : Object.assign(new Error('aborted'), { name: 'AbortError' });
  }
  // Same shape as fetch's "fetch failed" with the system error as cause, for networkError().
  return new Error('request failed', { cause: error });
}

function wrap(res: IncomingMessage): HttpResponse {
  const status = res.statusCode ?? 0;
  const body = {
    [Symbol.asyncIterator]: () => res[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>,
    cancel: () => {
      res.destroy();
      return Promise.resolve();
    },
  };
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: res.statusMessage ?? '',
    headers: {
      get(name) {
        const value = res.headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : value;
      },
    },
    async text() {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    body,
  };
}
