import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decompressStream, type ByteRange, type CacheRight } from '../../cache/index.js';
import { KilnError } from '../../errors/index.js';
import { tokenFromRequest } from '../auth.js';
import type { ApiDeps } from '../deps.js';

interface CacheParams {
  cache: string;
}
interface FileParams extends CacheParams {
  file: string;
}

const NARINFO_SUFFIX = '.narinfo';
const NARINFO_MAX_BYTES = 1024 * 1024;

/**
 * A `Range: bytes=...` header as a range over an object of `size` bytes, or undefined to send it
 * whole (no header, or a form we do not serve partially, such as several ranges).
 */
export function parseRangeHeader(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // A suffix: the last N bytes.
    const count = Number(last);
    if (count === 0) throw new KilnError('KILN_ERR_RANGE', 'empty suffix range', { size });
    return { start: Math.max(0, size - count) };
  }
  const start = Number(first);
  const end = last === '' ? undefined : Number(last);
  if (end !== undefined && end < start) return undefined;
  if (start >= size) throw new KilnError('KILN_ERR_RANGE', 'range starts past the end', { size });
  return end === undefined ? { start } : { start, end };
}

async function readAll(stream: AsyncIterable<Uint8Array>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > limit) throw new KilnError('KILN_ERR_TOO_LARGE', `this upload is limited to ${limit} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** The request body, decoded when the client sent it with a Content-Encoding (Nix's narinfo-compression). */
function bodyOf(request: FastifyRequest): AsyncIterable<Uint8Array> {
  const encoding = request.headers['content-encoding']?.trim().toLowerCase();
  const raw = request.raw;
  if (!encoding || encoding === 'identity') return raw;
  // Nix names the Content-Encoding after its compression method (xz, zstd, br, gzip, …).
  return decompressStream(encoding, raw);
}

/**
 * Nix's binary cache protocol at /cache/NAME/: what `nix copy --to` and substituters speak.
 * Registered in its own plugin scope, because uploads are raw streams, not JSON.
 */
export function cacheProtocolRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { warehouse } = deps;
  // Bodies are read by the handlers as streams; nothing is buffered by Fastify.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const access = (request: FastifyRequest<{ Params: CacheParams }>, need: CacheRight) =>
    warehouse.access(request.params.cache, tokenFromRequest(request), need);

  app.get<{ Params: CacheParams }>('/cache/:cache/nix-cache-info', async (request, reply) => {
    const cache = await access(request, 'pull');
    return reply.type('text/x-nix-cache-info').send(warehouse.nixCacheInfo(cache));
  });

  // Nix writes nix-cache-info only when it cannot read one; ours always exists, so accept and ignore.
  app.put<{ Params: CacheParams }>('/cache/:cache/nix-cache-info', async (request, reply) => {
    await access(request, 'push');
    await readAll(request.raw, NARINFO_MAX_BYTES);
    return reply.code(204).send();
  });

  app.get<{ Params: FileParams }>('/cache/:cache/:file', async (request, reply) => {
    const { cache, file } = request.params;
    await access(request, 'pull');
    if (!file.endsWith(NARINFO_SUFFIX)) throw notFound(file);
    const text = await warehouse.narinfo(cache, file.slice(0, -NARINFO_SUFFIX.length));
    if (text === undefined) throw notFound(file);
    return reply.type('text/x-nix-narinfo').send(text);
  });

  app.put<{ Params: FileParams }>('/cache/:cache/:file', async (request, reply) => {
    const { cache, file } = request.params;
    await access(request, 'push');
    if (file.endsWith('.ls')) {
      // NAR listings (write-nar-listing=true) are an index for other tools; not kept.
      await readAll(bodyOf(request), NARINFO_MAX_BYTES * 64);
      return reply.code(204).send();
    }
    if (!file.endsWith(NARINFO_SUFFIX)) {
      throw new KilnError('KILN_ERR_VALIDATION', `cannot upload ${file}: not a narinfo, NAR or log`);
    }
    const text = (await readAll(bodyOf(request), NARINFO_MAX_BYTES)).toString('utf8');
    await warehouse.putNarInfo(cache, file.slice(0, -NARINFO_SUFFIX.length), text);
    return reply.code(204).send();
  });

  app.route<{ Params: FileParams }>({
    method: ['GET', 'HEAD'],
    url: '/cache/:cache/nar/:file',
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const { cache, file } = request.params;
      const key = `nar/${file}`;
      await access(request, 'pull');
      const token = tokenFromRequest(request);
      if (request.method === 'HEAD') {
        const pusher = token !== undefined && (await canPush(deps, cache, token));
        const size = await warehouse.narSize(cache, key, pusher);
        if (size === undefined) throw notFound(key);
        return reply
          .type('application/x-nix-nar')
          .header('content-length', size)
          .header('accept-ranges', 'bytes')
          .send();
      }
      if (warehouse.redirectsNarDownloads) {
        // The bytes come straight from object storage; the client resends its Range header there.
        const url = await warehouse.narDownloadUrl(cache, key);
        if (url === undefined) throw notFound(key);
        return reply.code(302).header('location', url).header('cache-control', 'no-store').send();
      }
      let partial = false;
      const opened = await warehouse.openNar(cache, key, (size) => {
        const range = parseRangeHeader(request.headers.range, size);
        partial = range !== undefined;
        return range;
      });
      if (!opened) throw notFound(key);
      const { info, range, stream } = opened;
      reply
        .type('application/x-nix-nar')
        .header('accept-ranges', 'bytes')
        .header('content-length', range.end - range.start + 1)
        .header('last-modified', info.modifiedAt.toUTCString());
      if (partial) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${info.size}`);
      return reply.send(stream);
    },
  });

  app.put<{ Params: FileParams }>('/cache/:cache/nar/:file', async (request, reply) => {
    const { cache, file } = request.params;
    await access(request, 'push');
    const abort = new AbortController();
    const onClose = (): void => {
      if (!request.raw.complete)
        abort.abort(new KilnError('KILN_ERR_VALIDATION', 'the upload was interrupted'));
    };
    request.raw.once('close', onClose);
    try {
      const received = await warehouse.putNar(cache, `nar/${file}`, request.raw, abort.signal);
      return reply.code(201).send({
        narHash: received.narHash,
        narSize: received.narSize,
        fileHash: received.fileHash,
        fileSize: received.fileSize,
        duplicate: received.duplicate,
      });
    } finally {
      request.raw.off('close', onClose);
    }
  });

  app.get<{ Params: FileParams }>('/cache/:cache/log/:file', async (request, reply) => {
    const { cache, file } = request.params;
    await access(request, 'pull');
    const opened = await warehouse.openLog(cache, file);
    if (!opened) throw notFound(`log/${file}`);
    return reply
      .type('text/plain; charset=utf-8')
      .header('content-length', opened.info.size)
      .send(opened.stream);
  });

  app.put<{ Params: FileParams }>('/cache/:cache/log/:file', async (request, reply) => {
    const { cache, file } = request.params;
    await access(request, 'push');
    await warehouse.putLog(cache, file, bodyOf(request));
    return reply.code(204).send();
  });
}

async function canPush(deps: ApiDeps, cacheName: string, secret: string): Promise<boolean> {
  const token = await deps.warehouse.authenticate(secret);
  return token !== undefined && deps.warehouse.grants(token, cacheName, 'push');
}

function notFound(what: string): KilnError {
  return new KilnError('KILN_ERR_NOT_FOUND', `${what} is not in this cache`);
}
