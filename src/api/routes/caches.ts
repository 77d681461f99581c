import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CacheRight } from '../../cache/index.js';
import { KilnError } from '../../errors/index.js';
import type { TokenRecord } from '../../persistence/index.js';
import { tokenFromRequest } from '../auth.js';
import {
  CacheParams,
  CreateCacheBody,
  CreateTokenBody,
  GcBody,
  MissingPathsBody,
  PinParams,
  RotateKeyBody,
  TokenListQuery,
  TokenParams,
  UpdateCacheBody,
} from '../cache-schemas.js';
import type { ApiDeps } from '../deps.js';

/** The warehouse's management API. Each route checks its own rights: many take cache tokens. */
export function cacheRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { warehouse } = deps;

  const caller = async (request: FastifyRequest): Promise<TokenRecord> => {
    const secret = tokenFromRequest(request);
    if (!secret) throw new KilnError('KILN_ERR_UNAUTHORIZED', 'this API needs a token');
    const token = await warehouse.authenticate(secret);
    if (!token)
      throw new KilnError('KILN_ERR_UNAUTHORIZED', 'the token is not valid (unknown, revoked or expired)');
    return token;
  };
  const serverAdmin = async (request: FastifyRequest): Promise<TokenRecord> => {
    const token = await caller(request);
    if (token.scope !== null || token.perm !== 'admin') {
      throw new KilnError('KILN_ERR_FORBIDDEN', 'this needs a server-wide admin token');
    }
    return token;
  };
  const onCache = (request: FastifyRequest, name: string, need: CacheRight) =>
    warehouse.access(name, tokenFromRequest(request), need);

  app.post<{ Body: CreateCacheBody }>(
    '/api/v1/caches',
    { schema: { summary: 'Create a binary cache with its own signing key', body: CreateCacheBody } },
    async (request, reply) => {
      await serverAdmin(request);
      return reply.code(201).send(await warehouse.createCache(request.body));
    },
  );

  app.get('/api/v1/caches', { schema: { summary: 'List caches' } }, async (request) => {
    await serverAdmin(request);
    return { caches: await warehouse.listCaches() };
  });

  app.get<{ Params: CacheParams }>(
    '/api/v1/caches/:name',
    { schema: { summary: 'A cache: keys, counters, usage', params: CacheParams } },
    async (request) => {
      await onCache(request, request.params.name, 'admin');
      return warehouse.info(request.params.name);
    },
  );

  app.patch<{ Params: CacheParams; Body: UpdateCacheBody }>(
    '/api/v1/caches/:name',
    { schema: { summary: 'Change the retention of a cache', params: CacheParams, body: UpdateCacheBody } },
    async (request) => {
      await onCache(request, request.params.name, 'admin');
      await warehouse.setRetention(request.params.name, request.body.retentionDays);
      return warehouse.info(request.params.name);
    },
  );

  app.post<{ Params: CacheParams; Body: RotateKeyBody }>(
    '/api/v1/caches/:name/keys',
    { schema: { summary: 'Rotate the signing key', params: CacheParams, body: RotateKeyBody } },
    async (request, reply) => {
      await onCache(request, request.params.name, 'admin');
      const overlap = request.body.overlapSeconds;
      const rotated = await warehouse.rotateKey(
        request.params.name,
        overlap === undefined ? undefined : overlap * 1000,
      );
      return reply.code(201).send(rotated);
    },
  );

  app.post<{ Params: CacheParams; Body: MissingPathsBody }>(
    '/api/v1/caches/:name/missing-paths',
    {
      schema: {
        summary: 'Which of these store path hashes the cache does not hold',
        params: CacheParams,
        body: MissingPathsBody,
      },
    },
    async (request) => {
      await onCache(request, request.params.name, 'push');
      return { missing: await warehouse.missingPaths(request.params.name, request.body.storePathHashes) };
    },
  );

  app.post<{ Params: CacheParams; Body: GcBody }>(
    '/api/v1/caches/:name/gc',
    {
      schema: {
        summary: 'Garbage-collect a cache (or report what would go)',
        params: CacheParams,
        body: GcBody,
      },
    },
    async (request) => {
      await onCache(request, request.params.name, 'admin');
      return deps.collectGarbage(request.params.name, {
        dryRun: request.body.dryRun ?? false,
        retentionDays: request.body.olderThanDays,
      });
    },
  );

  app.get<{ Params: CacheParams }>(
    '/api/v1/caches/:name/pins',
    { schema: { summary: 'Pinned paths of a cache', params: CacheParams } },
    async (request) => {
      await onCache(request, request.params.name, 'admin');
      return { pins: await warehouse.pins(request.params.name) };
    },
  );

  app.put<{ Params: PinParams }>(
    '/api/v1/caches/:name/pins/:hash',
    { schema: { summary: 'Pin a path: it and its closure are never collected', params: PinParams } },
    async (request, reply) => {
      await onCache(request, request.params.name, 'admin');
      if (!(await warehouse.pin(request.params.name, request.params.hash))) {
        throw new KilnError('KILN_ERR_NOT_FOUND', `cache ${request.params.name} does not hold that path`);
      }
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: PinParams }>(
    '/api/v1/caches/:name/pins/:hash',
    { schema: { summary: 'Unpin a path', params: PinParams } },
    async (request, reply) => {
      await onCache(request, request.params.name, 'admin');
      if (!(await warehouse.unpin(request.params.name, request.params.hash))) {
        throw new KilnError('KILN_ERR_NOT_FOUND', 'that path is not pinned');
      }
      return reply.code(204).send();
    },
  );

  app.post<{ Body: CreateTokenBody }>(
    '/api/v1/tokens',
    { schema: { summary: 'Create a token (the secret is shown once)', body: CreateTokenBody } },
    async (request, reply) => {
      const cache = request.body.cache ?? null;
      if (cache === null) await serverAdmin(request);
      else await onCache(request, cache, 'admin');
      const created = await warehouse.createToken({
        cache,
        perm: request.body.perm,
        ttlMs: request.body.ttlSeconds === undefined ? undefined : request.body.ttlSeconds * 1000,
        description: request.body.description,
      });
      return reply.code(201).send(created);
    },
  );

  app.get<{ Querystring: TokenListQuery }>(
    '/api/v1/tokens',
    { schema: { summary: 'List tokens (never their secrets)', querystring: TokenListQuery } },
    async (request) => {
      const { cache } = request.query;
      if (cache === undefined) await serverAdmin(request);
      else await onCache(request, cache, 'admin');
      return { tokens: await warehouse.listTokens(cache) };
    },
  );

  app.delete<{ Params: TokenParams }>(
    '/api/v1/tokens/:id',
    { schema: { summary: 'Revoke a token, at once', params: TokenParams } },
    async (request, reply) => {
      const token = await caller(request);
      const target = await warehouse.getToken(request.params.id);
      const allowed =
        (token.scope === null && token.perm === 'admin') ||
        (target !== undefined && target.cache !== null && warehouse.grants(token, target.cache, 'admin'));
      if (!allowed) throw new KilnError('KILN_ERR_FORBIDDEN', 'revoking this token needs an admin token');
      if (!target || target.revokedAt !== null || !(await warehouse.revokeToken(target.id))) {
        throw new KilnError('KILN_ERR_NOT_FOUND', `no live token ${request.params.id}`);
      }
      return reply.code(204).send();
    },
  );
}
