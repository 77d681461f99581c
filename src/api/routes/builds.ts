import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BUILD_STATUSES, type BuildStatus } from '../../persistence/index.js';
import { KilnError } from '../../errors/index.js';
import type { ApiDeps } from '../deps.js';
import {
  ErrorBody,
  ImageOfBuildBody,
  ListBuildsQuery,
  ListBuildsResponse,
  LogQuery,
  LogResponse,
  SubmitBuildBody,
  SubmitBuildResponse,
} from '../schemas.js';
import { buildView, logLineView } from '../views.js';
import { streamLog } from './log-stream.js';

const IdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  422: ErrorBody,
};

// The list's filters: the shared ones plus the project and the commit's branch (the web UI's filters).
const ListQuery = Type.Object(
  {
    ...ListBuildsQuery.properties,
    projectId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    branch: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false },
);
type ListQuery = ListBuildsQuery & { projectId?: string; branch?: string };

function parseStatuses(text: string | undefined): BuildStatus[] | undefined {
  if (!text) return undefined;
  const statuses = text.split(',').map((s) => s.trim());
  for (const status of statuses) {
    if (!(BUILD_STATUSES as readonly string[]).includes(status)) {
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `unknown status ${JSON.stringify(status)}; use one of ${BUILD_STATUSES.join(', ')}`,
      );
    }
  }
  return statuses as BuildStatus[];
}

export function buildRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<{ Body: SubmitBuildBody }>(
    '/api/v1/builds',
    {
      schema: {
        summary: 'Submit a build',
        description: 'Parses and evaluates the expression, then queues one build per system.',
        body: SubmitBuildBody,
        response: { 201: SubmitBuildResponse, ...errors },
      },
    },
    async (request, reply) => {
      const client = request.headers['x-kiln-client'];
      const kind = client === 'cli' || client === 'ui' ? client : 'api';
      const actor = request.adminToken?.description ?? null;
      const records = await deps.builds.submit({ ...request.body, trigger: { kind, actor: actor || null } });
      return reply.status(201).send({ builds: records.map(buildView) });
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/api/v1/builds',
    {
      schema: {
        summary: 'List builds, newest first',
        querystring: ListQuery,
        response: { 200: ListBuildsResponse, ...errors },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const status = parseStatuses(request.query.status);
      const builds = await deps.builds.list({
        limit,
        ...(status && { status }),
        ...(request.query.serviceId !== undefined && { serviceId: request.query.serviceId }),
        ...(request.query.groupId !== undefined && { groupId: request.query.groupId }),
        ...(request.query.projectId !== undefined && { projectId: request.query.projectId }),
        ...(request.query.branch !== undefined && { branch: request.query.branch }),
        ...(request.query.before !== undefined && { beforeSeq: request.query.before }),
      });
      const last = builds[builds.length - 1];
      return { builds: builds.map(buildView), nextBefore: builds.length === limit && last ? last.seq : null };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/builds/:id',
    {
      schema: {
        summary: 'One build with its steps',
        params: IdParams,
        response: { 200: { $ref: 'BuildView#' }, ...errors },
      },
    },
    async (request) => buildView(await deps.builds.get(request.params.id)),
  );

  app.get<{ Params: { id: string }; Querystring: LogQuery }>(
    '/api/v1/builds/:id/log',
    {
      schema: {
        summary: 'Build log: a page of lines, plain text, or live Server-Sent Events with follow=1',
        params: IdParams,
        querystring: LogQuery,
        response: { 200: LogResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const lastEventId = Number(request.headers['last-event-id']);
      const after =
        Number.isInteger(lastEventId) && lastEventId > 0 ? lastEventId : (request.query.after ?? 0);
      const follow = request.query.follow === '1' || request.query.follow === 'true';
      if (follow) return streamLog(deps, request, reply, id, after);
      const limit = request.query.limit ?? 10_000;
      const { lines, complete } = await deps.builds.readLog(id, after, limit);
      if (request.query.format === 'text') {
        return reply.type('text/plain; charset=utf-8').send(lines.map((l) => l.text + '\n').join(''));
      }
      const last = lines[lines.length - 1];
      return { lines: lines.map(logLineView), nextAfter: last ? last.seq : after, complete };
    },
  );

  app.post<{ Params: { id: string }; Body: ImageOfBuildBody }>(
    '/api/v1/builds/:id/image',
    {
      schema: {
        summary: "Build and push an image of a succeeded build's outputs",
        description:
          'Answers when the image is in the registry; the build record then holds its digest. Registry failures are 502.',
        params: IdParams,
        body: ImageOfBuildBody,
        response: { 200: { $ref: 'BuildView#' }, ...errors },
      },
    },
    async (request, reply) => {
      // The caller hung up: stop building and pushing.
      const stop = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) stop.abort(new Error('client went away'));
      });
      return buildView(await deps.builds.imageOf(request.params.id, request.body, stop.signal));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/builds/:id/cancel',
    {
      schema: {
        summary: 'Cancel a pending or running build',
        params: IdParams,
        response: { 200: { $ref: 'BuildView#' }, ...errors },
      },
    },
    async (request) => buildView(await deps.builds.cancel(request.params.id)),
  );
}
