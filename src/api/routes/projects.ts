import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { KilnError } from '../../errors/index.js';
import { FLAKE_OUTPUT_SETS } from '../../persistence/index.js';
import type { Project } from '../../projects/index.js';
import type { ApiDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';
import { buildView } from '../views.js';

const NameParams = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 63, description: 'The project.' }) },
  { additionalProperties: false },
);
type NameParams = Static<typeof NameParams>;

const secret = (description: string) => Type.String({ maxLength: 65536, description });
const url = (description: string) => Type.String({ minLength: 1, maxLength: 2048, description });
const nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

const BuildSpec = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('flake'),
      outputs: Type.Optional(Type.Array(Type.Union(FLAKE_OUTPUT_SETS.map((set) => Type.Literal(set))))),
    },
    { additionalProperties: false, description: 'Every derivation of these flake output sets, per system.' },
  ),
  Type.Object(
    { kind: Type.Literal('attrs'), attrs: Type.Array(Type.String({ minLength: 1, maxLength: 255 })) },
    { additionalProperties: false, description: 'These attributes (flake outputs or default.nix -A paths).' },
  ),
  Type.Object(
    {
      kind: Type.Literal('template'),
      name: Type.String({ minLength: 1, maxLength: 100 }),
      values: Type.Optional(Type.Record(Type.String(), Type.String())),
    },
    {
      additionalProperties: false,
      description: 'A template; values may use {url}, {ref}, {branch} and {commit}.',
    },
  ),
]);

const settingsProperties = {
  repoUrl: Type.Optional(url('https, ssh or git@host:path URL.')),
  branches: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
      maxItems: 50,
      description: 'Branch patterns whose pushes build (* within a segment, ** across); default ["*"].',
    }),
  ),
  tags: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
      maxItems: 50,
      description: 'Tag patterns whose pushes build; default none.',
    }),
  ),
  build: Type.Optional(BuildSpec),
  systems: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9_]+-[a-z0-9_]+$' }), { maxItems: 8 })),
  pushCache: Type.Optional(nullable(Type.String({ minLength: 1, maxLength: 63 }))),
  imageRepo: Type.Optional(nullable(Type.String({ minLength: 1, maxLength: 512 }))),
  deployHook: Type.Optional(nullable(url('Signed POST after the image is pushed.'))),
  concurrency: Type.Optional(
    Type.Object(
      {
        group: Type.Optional(
          Type.String({ minLength: 1, maxLength: 200, description: 'Default {project}/{branch}.' }),
        ),
        mode: Type.Optional(Type.Union([Type.Literal('replace'), Type.Literal('queue')])),
        cancelInProgress: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
  ),
  notify: Type.Optional(
    Type.Object(
      {
        url: Type.Optional(nullable(url('POSTed (signed) when a run finishes.'))),
        commitStatus: Type.Optional(
          Type.Union([
            Type.Object(
              {
                forge: Type.Union([Type.Literal('github'), Type.Literal('gitea')]),
                apiUrl: url('e.g. https://api.github.com or https://gitea.example.com/api/v1'),
              },
              { additionalProperties: false },
            ),
            Type.Null(),
          ]),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  timeoutSeconds: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  credentials: Type.Optional(
    Type.Object(
      { token: Type.Optional(secret('Git token.')), sshPrivateKey: Type.Optional(secret('SSH key.')) },
      { additionalProperties: false, description: 'Sealed at rest, never shown; "" removes one.' },
    ),
  ),
  webhookSecret: Type.Optional(secret('Forge webhook secret; generated when absent at creation.')),
  notifySecret: Type.Optional(secret('Signs run notifications; generated when a URL is set.')),
  statusToken: Type.Optional(secret('Forge token for commit statuses.')),
};

export const CreateProjectBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 63 }), ...settingsProperties },
  { additionalProperties: false },
);
export type CreateProjectBody = Static<typeof CreateProjectBody>;
export const UpdateProjectBody = Type.Object(settingsProperties, { additionalProperties: false });
export type UpdateProjectBody = Static<typeof UpdateProjectBody>;

export const ProjectBuildBody = Type.Object(
  {
    branch: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    commit: Type.Optional(Type.String({ pattern: '^([0-9a-f]{40}|[0-9a-f]{64})$' })),
  },
  { additionalProperties: false },
);
export type ProjectBuildBody = Static<typeof ProjectBuildBody>;

/** What the API shows of a project: settings, which secrets are set, never the secrets. */
export type ProjectView = Omit<Project, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string };

function projectView(project: Project): ProjectView {
  return {
    ...project,
    createdAt: new Date(project.createdAt).toISOString(),
    updatedAt: new Date(project.updatedAt).toISOString(),
  };
}

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

function service(deps: ApiDeps): NonNullable<ApiDeps['projects']> {
  if (!deps.projects) throw new KilnError('KILN_ERR_VALIDATION', 'this server runs no projects');
  return deps.projects;
}

/** Projects: admin token, like every /api/v1 route (the webhook is separate, see below). */
export function projectRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<{ Body: CreateProjectBody }>(
    '/api/v1/projects',
    { schema: { summary: 'Add a project', body: CreateProjectBody, response: errors } },
    async (request, reply) => {
      const { name, ...input } = request.body;
      const created = await service(deps).create(name, input);
      return reply.code(201).send({ ...created, project: projectView(created.project) });
    },
  );

  app.get(
    '/api/v1/projects',
    { schema: { summary: 'List projects', response: { 401: ErrorBody } } },
    async () => ({ projects: (await service(deps).list()).map(projectView) }),
  );

  app.get<{ Params: NameParams }>(
    '/api/v1/projects/:name',
    { schema: { summary: 'One project', params: NameParams, response: errors } },
    async (request) => projectView(await service(deps).get(request.params.name)),
  );

  app.put<{ Params: NameParams; Body: UpdateProjectBody }>(
    '/api/v1/projects/:name',
    {
      schema: {
        summary: "Change a project's settings (given fields replace)",
        params: NameParams,
        body: UpdateProjectBody,
        response: errors,
      },
    },
    async (request) => {
      const updated = await service(deps).update(request.params.name, request.body);
      return { ...updated, project: projectView(updated.project) };
    },
  );

  app.delete<{ Params: NameParams }>(
    '/api/v1/projects/:name',
    { schema: { summary: 'Remove a project (its builds stay)', params: NameParams, response: errors } },
    async (request, reply) => {
      await service(deps).remove(request.params.name);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: NameParams; Body: ProjectBuildBody }>(
    '/api/v1/projects/:name/builds',
    {
      schema: {
        summary: 'Build a project now (a branch, a tag, or the default branch)',
        params: NameParams,
        body: ProjectBuildBody,
        response: errors,
      },
    },
    async (request, reply) => {
      const client = request.headers['x-kiln-client'];
      const builds = await service(deps).build(request.params.name, {
        ...request.body,
        trigger: {
          kind: client === 'cli' || client === 'ui' ? client : 'manual',
          actor: request.adminToken?.description || null,
        },
      });
      return reply.code(201).send({ builds: builds.map(buildView) });
    },
  );
}

/**
 * `POST /api/v1/hooks/projects/:name`: a forge's push webhook. No kiln token: the signature over the
 * raw body is the authentication, so this scope keeps the body as bytes.
 */
export function projectHookRoutes(scope: FastifyInstance, deps: ApiDeps): void {
  scope.post<{ Params: NameParams; Body: Buffer }>(
    '/api/v1/hooks/projects/:name',
    {
      schema: {
        summary: 'Push webhook of GitHub, GitLab or Gitea for a project',
        description:
          'Verified by X-Hub-Signature-256, X-Gitlab-Token or X-Gitea-Signature. A push to a matching branch or tag queues a run (202 {builds}); other events are 202 {ignored}; a replayed delivery is 200 {duplicate}; a bad signature is 401 and queues nothing.',
        params: NameParams,
        security: [],
      },
    },
    async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const answer = await service(deps).hook(request.params.name, request.headers, body);
      if ('builds' in answer.body) {
        return reply.code(answer.status).send({ ...answer.body, builds: answer.body.builds.map(buildView) });
      }
      return reply.code(answer.status).send(answer.body);
    },
  );
}
