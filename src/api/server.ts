import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { KilnError } from '../errors/index.js';
import { webRoutes } from '../web/index.js';
import { requireAdmin } from './auth.js';
import type { TokenRecord } from '../persistence/index.js';
import type { ApiDeps } from './deps.js';
import { errorHandler } from './errors.js';
import { adminRoutes } from './routes/admin.js';
import { buildRoutes } from './routes/builds.js';
import { cacheProtocolRoutes } from './routes/cache-protocol.js';
import { cacheRoutes } from './routes/caches.js';
import { eventRoutes } from './routes/events.js';
import { metricsRoutes } from './routes/metrics.js';
import { templateRoutes } from './routes/templates.js';
import { timelineRoutes } from './routes/timeline.js';
import { versionSyncHookRoutes, versionSyncRoutes } from './routes/version-syncs.js';
import { projectHookRoutes, projectRoutes } from './routes/projects.js';
import { groupRoutes } from './routes/groups.js';
import { workerRoutes } from './routes/workers.js';
import { BuildView, ErrorBody } from './schemas.js';

const PUBLIC_PATHS = new Set(['/api/v1/openapi.json', '/healthz']);
// Routes that take cache-scoped tokens check rights themselves (src/api/routes/caches.ts).
// Forges' webhooks carry no kiln token: their signature is checked by the route.
const SELF_AUTHORISED_PREFIXES = ['/api/v1/caches', '/api/v1/tokens', '/api/v1/hooks'];

/**
 * Whether a request path tries to climb out of where it points: a `..` segment, an encoded dot,
 * slash or backslash, or a backslash. No route has a use for any of them.
 */
export function isTraversal(path: string): boolean {
  if (/%2e|%2f|%5c|\\/i.test(path)) return true;
  return path.split('/').some((segment) => segment === '..' || segment === '.');
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The admin token the request was authorised with (null on public and self-authorised routes). */
    adminToken: TokenRecord | null;
  }
}

export interface ApiServerOptions {
  logger?: boolean;
  /**
   * Which routes: everything (default); `cache`: the binary cache protocol only (`/cache/NAME/…`);
   * `health`: `/healthz` only (a worker). Chosen by the server role in src/main.
   */
  surface?: 'full' | 'cache' | 'health';
}

/** The HTTP API as a Fastify instance (not listening): tests drive it with inject(). */
export async function buildApiServer(
  deps: ApiDeps,
  options: ApiServerOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: deps.bodyLimitBytes,
    // Unknown fields must be reported, not silently dropped.
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: false },
    },
    // Live log streams are long-lived; closing the server must not wait for them.
    forceCloseConnections: true,
  });
  app.setErrorHandler(errorHandler);
  app.decorateRequest('adminToken', null);
  app.setNotFoundHandler((request) => {
    throw new KilnError('KILN_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
  });
  app.addSchema(BuildView);
  app.addSchema(ErrorBody);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'kiln API', version: '1', description: 'Builds, logs, statistics and cleanup.' },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
      security: [{ token: [] }],
    },
  });

  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (isTraversal(path)) {
      throw new KilnError('KILN_ERR_VALIDATION', 'the request path must not contain .. or encoded / . \\');
    }
    if (PUBLIC_PATHS.has(path) || !(path.startsWith('/api/') || path === '/metrics')) return;
    if (SELF_AUTHORISED_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) return;
    request.adminToken = await requireAdmin(request, (secret) => deps.authenticate(secret));
  });

  app.get('/healthz', { schema: { hide: true } }, () => ({ ok: true, ...deps.health?.() }));
  const surface = options.surface ?? 'full';
  if (surface === 'health') {
    await app.ready();
    return app;
  }
  if (surface === 'cache') {
    await app.register((scope, _options, done) => {
      cacheProtocolRoutes(scope, deps);
      done();
    });
    await app.ready();
    return app;
  }
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
  buildRoutes(app, deps);
  eventRoutes(app, deps);
  // The web UI's shell and assets: public (the onRequest hook guards only /api/ and /metrics).
  webRoutes(app);
  adminRoutes(app, deps);
  metricsRoutes(app, deps);
  cacheRoutes(app, deps);
  templateRoutes(app, deps);
  timelineRoutes(app, deps);
  versionSyncRoutes(app, deps);
  projectRoutes(app, deps);
  groupRoutes(app, deps);
  workerRoutes(app, deps);
  // Its own scope: the webhook signature covers the raw body, so the body is kept as bytes.
  await app.register((scope, _options, done) => {
    versionSyncHookRoutes(scope, deps);
    projectHookRoutes(scope, deps);
    done();
  });
  // Its own scope: uploads are raw streams, so the JSON body parsers are replaced there.
  await app.register((scope, _options, done) => {
    cacheProtocolRoutes(scope, deps);
    done();
  });
  await app.ready();
  return app;
}
