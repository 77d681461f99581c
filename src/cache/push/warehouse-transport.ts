import { Readable } from 'node:stream';
import { isKilnError } from '../../errors/index.js';
import type { PushTransport, PutBody, TransportResponse } from './types.js';

/** The part of the Warehouse an in-process push uses (the server pushing its own build outputs). */
export interface WarehouseWriter {
  missingPaths(cacheName: string, hashes: readonly string[]): Promise<string[]>;
  putNar(
    cacheName: string,
    fileKey: string,
    body: AsyncIterable<Uint8Array>,
    signal?: AbortSignal,
  ): Promise<unknown>;
  putNarInfo(cacheName: string, hashPart: string, text: string): Promise<void>;
}

const MISSING = /^\/api\/v1\/caches\/([^/]+)\/missing-paths$/;
const NAR = /^\/cache\/([^/]+)\/(nar\/[^/]+)$/;
const NARINFO = /^\/cache\/([^/]+)\/([^/]+)\.narinfo$/;

// The statuses the HTTP layer gives these codes; anything else is a server fault (retried).
const STATUS: Readonly<Record<string, number>> = {
  KILN_ERR_VALIDATION: 400,
  KILN_ERR_UNAUTHORIZED: 401,
  KILN_ERR_FORBIDDEN: 403,
  KILN_ERR_NOT_FOUND: 404,
  KILN_ERR_CONFLICT: 409,
  KILN_ERR_TOO_LARGE: 413,
};

/**
 * A push transport that calls the warehouse directly: the same checks as over HTTP (file hash,
 * NarHash, references present) without a loopback connection or a token. Errors become the
 * answers the HTTP layer would give, so the engine's retry rules stay the same.
 */
export function warehousePushTransport(warehouse: WarehouseWriter): PushTransport {
  const answer = async (call: () => Promise<string>): Promise<TransportResponse> => {
    try {
      return { status: 200, text: await call() };
    } catch (error) {
      const status = isKilnError(error) ? (STATUS[error.code] ?? 500) : 500;
      const message = error instanceof Error ? error.message : String(error);
      return { status, text: JSON.stringify({ error: { message } }) };
    }
  };
  return {
    postJson(path, body) {
      return answer(async () => {
        const [, cache = ''] = MISSING.exec(path) ?? [];
        const hashes = (body as { storePathHashes?: unknown }).storePathHashes;
        if (cache === '' || !Array.isArray(hashes)) throw new Error(`cannot POST ${path}`);
        const missing = await warehouse.missingPaths(decodeURIComponent(cache), hashes as string[]);
        return JSON.stringify({ missing });
      });
    },
    put(path, body, _contentType, signal) {
      return answer(async () => {
        const nar = NAR.exec(path);
        if (nar) {
          await warehouse.putNar(decodeURIComponent(nar[1]!), nar[2]!, bytesOf(body), signal);
          return '';
        }
        const narinfo = NARINFO.exec(path);
        if (narinfo) {
          const text = Buffer.concat(await collect(bytesOf(body))).toString('utf8');
          await warehouse.putNarInfo(decodeURIComponent(narinfo[1]!), narinfo[2]!, text);
          return '';
        }
        throw new Error(`cannot PUT ${path}`);
      });
    },
  };
}

function bytesOf(body: PutBody): AsyncIterable<Uint8Array> {
  if (body.kind === 'stream') return body.open();
  return Readable.from([body.bytes]) as AsyncIterable<Uint8Array>;
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return chunks;
}
