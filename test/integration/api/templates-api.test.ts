import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { BuildView } from '../../../src/api/index.js';
import { startTestApp, type TestApp } from '../../helpers/kiln-app.js';
import { nonce, waitFor } from '../../helpers/nix.js';

const run = promisify(execFile);

function definition(version: string, overrides: Record<string, unknown> = {}) {
  return {
    name: 'greeting',
    version,
    description: 'A file with a greeting',
    parameters: [
      { name: 'who', type: 'string', default: 'world', pattern: '[a-z]+' },
      { name: 'times', type: 'integer', default: 1, min: 1, max: 5 },
    ],
    env: { PUNCTUATION: '!' },
    expression: `{ who, times }: derivation {
      name = "greeting";
      system = builtins.currentSystem;
      builder = "/bin/sh";
      PATH = "/usr/bin:/bin";
      inherit who;
      times = toString times;
      args = [ "-c" "i=0; while [ $i -lt $times ]; do echo \\"hello $who$PUNCTUATION\\"; i=$((i+1)); done > $out" ];
    }`,
    ...overrides,
  };
}

async function call(t: TestApp, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) {
  const res = await t.app.inject({
    method,
    url,
    headers: t.auth,
    ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
  });
  return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
}

function errorOf(body: Record<string, unknown>): { code: string; message: string } {
  return body['error'] as { code: string; message: string };
}

describe('templates API', () => {
  it('needs an admin token', async (t) => {
    const app = await startTestApp(t, { workers: false });
    const res = await app.app.inject({ method: 'GET', url: '/api/v1/templates' });
    assert.equal(res.statusCode, 401);
  });

  it('lists built-ins; add, show, versions, delete', async (t) => {
    const app = await startTestApp(t, { workers: false });
    const listed = await call(app, 'GET', '/api/v1/templates');
    assert.equal(listed.status, 200);
    const names = (listed.body['templates'] as { name: string }[]).map((s) => s.name);
    assert.deepEqual(names, ['static-site', 'shell-service', 'multi-output']);

    const added = await call(app, 'POST', '/api/v1/templates', definition('1.0.0'));
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body['name'], 'greeting');
    assert.equal(added.body['builtin'], false);
    assert.equal((await call(app, 'POST', '/api/v1/templates', definition('2.0.0'))).status, 201);

    const newest = await call(app, 'GET', '/api/v1/templates/greeting');
    assert.equal(newest.status, 200);
    assert.equal(newest.body['version'], '2.0.0');
    assert.deepEqual(newest.body['env'], { PUNCTUATION: '!' });
    assert.equal(
      (await call(app, 'GET', '/api/v1/templates/greeting?version=1.0.0')).body['version'],
      '1.0.0',
    );
    const summary = (
      (await call(app, 'GET', '/api/v1/templates')).body['templates'] as Record<string, unknown>[]
    ).at(-1);
    assert.deepEqual(summary?.['versions'], ['1.0.0', '2.0.0']);

    const removed = await call(app, 'DELETE', '/api/v1/templates/greeting?version=2.0.0');
    assert.deepEqual(removed, { status: 200, body: { name: 'greeting', removed: 1 } });
    assert.equal((await call(app, 'GET', '/api/v1/templates/greeting')).body['version'], '1.0.0');
    assert.deepEqual((await call(app, 'DELETE', '/api/v1/templates/greeting')).body, {
      name: 'greeting',
      removed: 1,
    });
    const gone = await call(app, 'GET', '/api/v1/templates/greeting');
    assert.equal(gone.status, 404);
    assert.equal(errorOf(gone.body).code, 'KILN_ERR_NOT_FOUND');
  });

  it('rejects invalid definitions (400), Nix syntax errors (422), conflicts (409)', async (t) => {
    const app = await startTestApp(t, { workers: false });
    const invalid = await call(app, 'POST', '/api/v1/templates', definition('1', { version: 'latest' }));
    assert.equal(invalid.status, 400);
    assert.equal(errorOf(invalid.body).code, 'KILN_ERR_TEMPLATE_INVALID');
    assert.match(errorOf(invalid.body).message, /version must be dot-separated numbers/);

    const syntax = await call(
      app,
      'POST',
      '/api/v1/templates',
      definition('1', { expression: '{ who }: (' }),
    );
    assert.equal(syntax.status, 422, JSON.stringify(syntax.body));
    assert.equal(errorOf(syntax.body).code, 'KILN_ERR_EXPR_PARSE');

    assert.equal((await call(app, 'POST', '/api/v1/templates', definition('1.5'))).status, 201);
    const older = await call(app, 'POST', '/api/v1/templates', definition('1.4'));
    assert.equal(older.status, 409);
    assert.match(errorOf(older.body).message, /add a higher version/);
    const shadow = await call(app, 'POST', '/api/v1/templates', definition('1', { name: 'static-site' }));
    assert.equal(shadow.status, 409);
    const builtin = await call(app, 'DELETE', '/api/v1/templates/static-site');
    assert.equal(builtin.status, 409);
    assert.equal((await call(app, 'DELETE', '/api/v1/templates/none')).status, 404);
    const notAnObject = await app.app.inject({
      method: 'POST',
      url: '/api/v1/templates',
      headers: { ...app.auth, 'content-type': 'application/json' },
      payload: '[1]',
    });
    assert.equal(notAnObject.statusCode, 400);
  });

  it('a rendered template builds through the build API with its default environment', async (t) => {
    const app = await startTestApp(t);
    assert.equal((await call(app, 'POST', '/api/v1/templates', definition('1'))).status, 201);
    const who = nonce().replace(/[0-9]/g, 'x');
    const rendered = await app.kiln.templates.render('greeting', { who, times: '2' });
    const submitted = await call(app, 'POST', '/api/v1/builds', {
      source: { kind: 'expr', expression: rendered.expression },
      env: rendered.env,
    });
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    const id = (submitted.body['builds'] as BuildView[])[0]!.id;
    const done = await waitFor(
      async () => {
        const build = (await call(app, 'GET', `/api/v1/builds/${id}`)).body as unknown as BuildView;
        return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(build.status) ? build : undefined;
      },
      { timeoutMs: 60_000, what: 'the template build' },
    );
    assert.equal(done.status, 'succeeded', done.error ?? '');
    const { stdout } = await run('cat', [done.outputs[0]!]);
    assert.equal(stdout, `hello ${who}!\nhello ${who}!\n`);

    await assert.rejects(app.kiln.templates.render('greeting', { times: '9' }), /must be at most 5/);
  });
});
