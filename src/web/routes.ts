import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KilnError } from '../errors/index.js';

/** Paths that the browser may load directly; each answers index.html and the client routes it. */
export const UI_ROUTES = [
  '/',
  '/builds/:id',
  '/groups/:id',
  '/projects',
  '/projects/:name',
  '/caches',
  '/stats',
  '/sign-in',
  '/new',
];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};
const ASSET_PATH = /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*\.[a-z]+$/;

export interface WebRoutesOptions {
  /** Where index.html, app.css and js/ are; default dist/web next to the compiled server. */
  assetsDir?: string;
}

interface Asset {
  body: Buffer;
  etag: string;
}

/** Registers the UI shell routes and `/ui/*` static assets (public: no token needed). */
export function webRoutes(app: FastifyInstance, options: WebRoutesOptions = {}): void {
  const dir = options.assetsDir ?? fileURLToPath(new URL('../../web/', import.meta.url));
  // Assets do not change while the server runs; each is read once.
  const cache = new Map<string, Promise<Asset | null>>();
  const load = (relative: string): Promise<Asset | null> => {
    let asset = cache.get(relative);
    if (!asset) {
      asset = readFile(join(dir, relative)).then(
        (body) => ({ body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` }),
        () => null,
      );
      cache.set(relative, asset);
    }
    return asset;
  };
  const send = async (
    request: FastifyRequest,
    reply: FastifyReply,
    relative: string,
  ): Promise<FastifyReply> => {
    const asset = await load(relative);
    if (!asset) {
      cache.delete(relative);
      const missing =
        relative === 'index.html'
          ? 'the web UI is not built (run npm run build)'
          : `no asset /ui/${relative}`;
      throw new KilnError('KILN_ERR_NOT_FOUND', missing);
    }
    // Revalidated on every load (cheap 304s), so a new kiln version is picked up at once.
    reply.header('cache-control', 'no-cache');
    reply.header('etag', asset.etag);
    reply.header('x-content-type-options', 'nosniff');
    if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
    const type = CONTENT_TYPES[extname(relative)] ?? 'application/octet-stream';
    return reply.type(type).send(asset.body);
  };

  for (const path of UI_ROUTES) {
    app.get(path, { schema: { hide: true } }, async (request, reply) => {
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'same-origin');
      return send(request, reply, 'index.html');
    });
  }
  app.get<{ Params: { '*': string } }>('/ui/*', { schema: { hide: true } }, async (request, reply) => {
    const relative = request.params['*'];
    if (!ASSET_PATH.test(relative)) throw new KilnError('KILN_ERR_NOT_FOUND', `no asset /ui/${relative}`);
    return send(request, reply, relative);
  });
}
