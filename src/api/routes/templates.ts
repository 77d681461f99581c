import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';

const TemplateParams = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 63, description: 'The template name.' }),
});
type TemplateParams = Static<typeof TemplateParams>;

const VersionQuery = Type.Object(
  {
    version: Type.Optional(
      Type.String({ minLength: 1, maxLength: 40, description: 'One version (default: newest).' }),
    ),
  },
  { additionalProperties: false },
);
type VersionQuery = Static<typeof VersionQuery>;

// The definition is validated by src/templates (one set of rules and messages for API, CLI and
// library); the schema only says it is an object.
const DefinitionBody = Type.Object({}, { additionalProperties: true, description: 'A template definition.' });

/** Templates: kiln's built-ins and those admins add. Admin token, like every /api/v1 route. */
export function templateRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { templates } = deps;

  app.get(
    '/api/v1/templates',
    { schema: { summary: 'List templates (newest version of each name)', response: { 401: ErrorBody } } },
    async () => ({ templates: await templates.list() }),
  );

  app.get<{ Params: TemplateParams; Querystring: VersionQuery }>(
    '/api/v1/templates/:name',
    {
      schema: {
        summary: 'A template: definition, parameters, default environment',
        params: TemplateParams,
        querystring: VersionQuery,
        response: { 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => templates.show(request.params.name, request.query.version),
  );

  app.post(
    '/api/v1/templates',
    {
      schema: {
        summary: 'Add a template, or a higher version of one',
        body: DefinitionBody,
      },
    },
    async (request, reply) => reply.code(201).send(await templates.add(request.body)),
  );

  app.delete<{ Params: TemplateParams; Querystring: VersionQuery }>(
    '/api/v1/templates/:name',
    {
      schema: {
        summary: 'Remove one version of a template, or all of its versions',
        params: TemplateParams,
        querystring: VersionQuery,
        response: { 401: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => templates.remove(request.params.name, request.query.version),
  );
}
