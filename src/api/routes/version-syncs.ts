import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { VersionSync } from '../../builds/index.js';
import { KilnError } from '../../errors/index.js';
import type { ApiDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';
import { buildView } from '../views.js';

const NameParams = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 63, description: 'The version sync.' }) },
  { additionalProperties: false },
);
type NameParams = Static<typeof NameParams>;

const path = (description: string) => Type.String({ minLength: 1, maxLength: 1024, description });

export const CreateVersionSyncBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 63, description: 'Lower-case letters, digits and -.' }),
    repository: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'https, ssh or git@host:path URL.',
    }),
    ref: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: 'Base branch (default: HEAD).' }),
    ),
    file: path('The .nix file to bump, relative to the repository root.'),
    entry: Type.Optional(path('The .nix file that evaluates to the package.')),
    attr: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    verify: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'Smoke command.' })),
    systems: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9_]+-[a-z0-9_]+$' }), { maxItems: 8 })),
    branch: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Branch template with {name} and {version}.',
      }),
    ),
    tagPattern: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Regex; its first group is the version.' }),
    ),
    token: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description: 'Git token to clone and push; never shown.',
      }),
    ),
    webhookSecret: Type.Optional(
      Type.String({ minLength: 1, maxLength: 4096, description: 'Webhook signing secret; never shown.' }),
    ),
  },
  { additionalProperties: false },
);
export type CreateVersionSyncBody = Static<typeof CreateVersionSyncBody>;

export const RunVersionSyncBody = Type.Object(
  { version: Type.String({ minLength: 1, maxLength: 200, description: 'The version to bump to.' }) },
  { additionalProperties: false },
);
export type RunVersionSyncBody = Static<typeof RunVersionSyncBody>;

/** What the API shows of a sync: settings, whether secrets are set, never the secrets. */
export type VersionSyncView = Omit<VersionSync, 'createdAt'> & { createdAt: string };

function syncView(sync: VersionSync): VersionSyncView {
  return { ...sync, createdAt: new Date(sync.createdAt).toISOString() };
}

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

function service(deps: ApiDeps): NonNullable<ApiDeps['versionSyncs']> {
  if (!deps.versionSyncs) throw new KilnError('KILN_ERR_VALIDATION', 'this server runs no version syncs');
  return deps.versionSyncs;
}

/** Version syncs: admin token, like every /api/v1 route (the webhook is separate, see below). */
export function versionSyncRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<{ Body: CreateVersionSyncBody }>(
    '/api/v1/version-syncs',
    { schema: { summary: 'Create a version sync', body: CreateVersionSyncBody, response: errors } },
    async (request, reply) => reply.code(201).send(syncView(await service(deps).create(request.body))),
  );

  app.get(
    '/api/v1/version-syncs',
    { schema: { summary: 'List version syncs', response: { 401: ErrorBody } } },
    async () => ({ syncs: (await service(deps).list()).map(syncView) }),
  );

  app.get<{ Params: NameParams }>(
    '/api/v1/version-syncs/:name',
    { schema: { summary: 'One version sync', params: NameParams, response: errors } },
    async (request) => syncView(await service(deps).get(request.params.name)),
  );

  app.delete<{ Params: NameParams }>(
    '/api/v1/version-syncs/:name',
    { schema: { summary: 'Remove a version sync', params: NameParams, response: errors } },
    async (request) => service(deps).remove(request.params.name),
  );

  app.post<{ Params: NameParams; Body: RunVersionSyncBody }>(
    '/api/v1/version-syncs/:name/runs',
    {
      schema: {
        summary: 'Run a version sync: bump to a version, build, push a branch',
        description: 'Queues a build of kind bump; follow it like any build.',
        params: NameParams,
        body: RunVersionSyncBody,
        response: errors,
      },
    },
    async (request, reply) => {
      const build = await service(deps).run(request.params.name, request.body.version);
      return reply.code(202).send({ builds: [buildView(build)] });
    },
  );
}

/**
 * `POST /api/v1/hooks/version-sync/:name`: a forge's release or tag webhook. No kiln token: the
 * signature over the raw body is the authentication, so this scope keeps the body as bytes.
 */
export function versionSyncHookRoutes(scope: FastifyInstance, deps: ApiDeps): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  scope.post<{ Params: NameParams; Body: Buffer }>(
    '/api/v1/hooks/version-sync/:name',
    {
      schema: {
        summary: 'Release/tag webhook of GitHub, Gitea or GitLab for a version sync',
        description:
          'Verified by X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token. A new tag matching the sync queues a run (202); other events are 202 {ignored}; a replayed delivery is 200 {duplicate}.',
        params: NameParams,
        security: [],
      },
    },
    async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const answer = await service(deps).hook(request.params.name, request.headers, body);
      if ('build' in answer.body) {
        const { build, ...rest } = answer.body;
        return reply.code(answer.status).send({ builds: [buildView(build)], ...rest });
      }
      return reply.code(answer.status).send(answer.body);
    },
  );
}
