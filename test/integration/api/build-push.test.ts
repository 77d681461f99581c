import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BuildView } from '../../../src/api/index.js';
import { startTestApp } from '../../helpers/kiln-app.js';
import { drvExpr, waitFor } from '../../helpers/nix.js';

describe('a build whose push fails', () => {
  it('is failed, names the push step, and keeps what it built', async (t) => {
    // Uploads are capped at 1 KiB, so the random 64 KiB output cannot be pushed.
    const app = await startTestApp(t, { cache: { maxUploadBytes: 1024 } });
    await app.kiln.warehouse.createCache({ name: 'tiny' });
    const submit = await app.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: app.auth,
      payload: {
        source: { kind: 'expr', expression: drvExpr('head -c 65536 /dev/urandom > $out') },
        push: 'tiny',
      },
    });
    assert.equal(submit.statusCode, 201, submit.body);
    const id = submit.json<{ builds: BuildView[] }>().builds[0]!.id;
    const build = await waitFor(
      async () => {
        const res = await app.app.inject({ url: `/api/v1/builds/${id}`, headers: app.auth });
        const view = res.json<BuildView>();
        return view.finishedAt !== null ? view : undefined;
      },
      { timeoutMs: 60_000, what: 'the build to finish' },
    );
    assert.equal(build.status, 'failed');
    assert.equal(build.reason, 'push-failed');
    assert.match(build.error ?? '', /^step push: pushing to tiny failed: .*1024 bytes/);
    assert.equal(build.built.length, 1);
    assert.deepEqual(build.pushed, []);
    const push = build.steps?.find((step) => step.name === 'push');
    assert.equal(push?.status, 'failed');
    const realise = build.steps?.find((step) => step.name === 'realise');
    assert.equal(realise?.status, 'succeeded');
  });

  it('is refused at submission when the cache does not exist', async (t) => {
    const app = await startTestApp(t);
    const res = await app.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: app.auth,
      payload: { source: { kind: 'expr', expression: drvExpr('echo > $out') }, push: 'missing' },
    });
    assert.equal(res.statusCode, 404, res.body);
    const list = (await app.app.inject({ url: '/api/v1/builds', headers: app.auth })).json<{
      builds: unknown[];
    }>();
    assert.equal(list.builds.length, 0, 'nothing was queued');
  });

  it('pushes to the service’s default cache when the build names none', async (t) => {
    const app = await startTestApp(t, { cache: { pushByService: { web: 'team' } } });
    await app.kiln.warehouse.createCache({ name: 'team' });
    const submit = (serviceId: string | undefined) =>
      app.app.inject({
        method: 'POST',
        url: '/api/v1/builds',
        headers: app.auth,
        payload: {
          source: { kind: 'expr', expression: drvExpr('echo default-push > $out') },
          ...(serviceId !== undefined && { serviceId }),
        },
      });
    const web = await submit('web');
    assert.equal(web.statusCode, 201, web.body);
    const other = await submit('api');
    const id = web.json<{ builds: BuildView[] }>().builds[0]!.id;
    const build = await waitFor(
      async () => {
        const view = (
          await app.app.inject({ url: `/api/v1/builds/${id}`, headers: app.auth })
        ).json<BuildView>();
        return view.finishedAt !== null ? view : undefined;
      },
      { timeoutMs: 60_000, what: 'the build to finish' },
    );
    assert.equal(build.status, 'succeeded', build.error ?? '');
    assert.equal(build.pushCache, 'team');
    assert.deepEqual(build.pushed, build.outputs);
    const hash = build.outputs[0]!.slice('/nix/store/'.length, '/nix/store/'.length + 32);
    assert.equal((await app.kiln.warehouse.narinfo('team', hash)) !== undefined, true);
    assert.equal(
      other.json<{ builds: BuildView[] }>().builds[0]!.pushCache,
      null,
      'other services push nowhere',
    );
  });
});
