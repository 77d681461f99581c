import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { KilnError } from '../../../src/errors/index.js';
import { UI_ROUTES, webRoutes } from '../../../src/web/index.js';
import { tempDir } from '../../helpers/tmp.js';

/** A bare Fastify with the web routes over `dir`; KilnErrors answer their code as 404 JSON. */
async function appFor(dir: string): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler((error: unknown, _request, reply) => {
    const code = error instanceof KilnError ? error.code : 'other';
    const message = error instanceof Error ? error.message : String(error);
    return reply.status(code === 'KILN_ERR_NOT_FOUND' ? 404 : 500).send({ code, message });
  });
  webRoutes(app, { assetsDir: dir });
  await app.ready();
  return app;
}

describe('webRoutes', () => {
  it('answers index.html for every UI route and assets by type, revalidated with an ETag', async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'js', 'pages'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>kiln</title>');
    writeFileSync(join(dir, 'app.css'), 'body{}');
    writeFileSync(join(dir, 'js', 'pages', 'build.js'), 'export {};');
    const app = await appFor(dir);
    t.after(() => app.close());

    for (const pattern of UI_ROUTES) {
      const url = pattern.replace(/:\w+/g, 'x1');
      const response = await app.inject({ url });
      assert.equal(response.statusCode, 200, url);
      assert.equal(response.body, '<!doctype html><title>kiln</title>');
      assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(response.headers['cache-control'], 'no-cache');
    }
    const js = await app.inject({ url: '/ui/js/pages/build.js' });
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.body, 'export {};');
    const css = await app.inject({ url: '/ui/app.css' });
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    const etag = String(css.headers['etag']);
    assert.equal(
      (await app.inject({ url: '/ui/app.css', headers: { 'if-none-match': etag } })).statusCode,
      304,
    );
    assert.equal(
      (await app.inject({ url: '/ui/app.css', headers: { 'if-none-match': '"other"' } })).statusCode,
      200,
    );
  });

  it('refuses asset paths outside its folder and unknown files', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'index.html'), 'x');
    const app = await appFor(dir);
    t.after(() => app.close());
    for (const url of ['/ui/nope.js', '/ui/.hidden.js', '/ui/js/', '/ui/a..b/c.js', '/ui/index']) {
      const response = await app.inject({ url });
      assert.equal(response.statusCode, 404, url);
    }
  });

  it('says the UI is not built when index.html is missing, and serves it once it appears', async (t) => {
    const dir = tempDir(t);
    const app = await appFor(dir);
    t.after(() => app.close());
    const missing = await app.inject({ url: '/' });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json<{ message: string }>().message, /web UI is not built/);
    writeFileSync(join(dir, 'index.html'), 'built');
    assert.equal((await app.inject({ url: '/builds/1' })).body, 'built');
  });
});
