import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import type { BuildView, SubmitBuildBody } from '../../../src/api/index.js';
import { finishedBuild, startTestApp, type TestApp } from '../../helpers/kiln-app.js';
import { drvExpr, nonce } from '../../helpers/nix.js';
import { freePort, startRegistry } from '../../helpers/registry.js';

const SECRET = 'deploy-secret-for-tests';
/** Short waits between retries so that failing registries and hooks fail fast. */
const FAST = {
  registry: { attempts: 2, retryBaseDelayMs: 20 },
  deploy: { secret: SECRET, attempts: 3, baseDelayMs: 20, attemptTimeoutMs: 2000 },
};

interface HookRequest {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A deploy receiver on a loopback port answering with the statuses `answer` gives, in order. */
async function startHookReceiver(t: TestContext, answer: (n: number) => number) {
  const requests: HookRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = answer(requests.length);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/deploy?env=prod`, requests };
}

async function submit(app: TestApp, body: SubmitBuildBody): Promise<BuildView[]> {
  const res = await app.app.inject({
    method: 'POST',
    url: '/api/v1/builds',
    headers: app.auth,
    payload: body,
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json<{ builds: BuildView[] }>().builds;
}

async function buildOne(app: TestApp, body: SubmitBuildBody): Promise<BuildView> {
  const [build] = await submit(app, body);
  return finishedBuild(app, build!.id);
}

function skopeo(args: string[]): string {
  return execFileSync('skopeo', args, { encoding: 'utf8' });
}

function digestOf(reference: string): string {
  return (
    JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${reference}`])) as { Digest: string }
  ).Digest;
}

const appExpr = (text: string): string =>
  drvExpr(`mkdir -p $out/bin; printf "#!/bin/sh\\necho ${text}\\n" > $out/bin/app; chmod +x $out/bin/app`, {
    name: 'pipeline-app',
  });

void describe('the image pipeline: deploy hook, current tag, fallback, index, kiln image', () => {
  void it('signs and retries the deploy hook, moves current only after it, and keeps the last good image current', async (t) => {
    const registry = await startRegistry(t);
    let failHook = false;
    const hook = await startHookReceiver(t, (n) => (failHook ? 500 : n === 1 ? 503 : 204));
    const app = await startTestApp(t, FAST);
    const repo = `${registry.host}/svc/app`;

    const good = await buildOne(app, {
      source: { kind: 'expr', expression: appExpr('one') },
      serviceId: 'svc',
      image: `${repo}:v1`,
      deployHook: hook.url,
      imageConfig: {
        entrypoint: ['/bin/app'],
        cmd: ['--serve'],
        env: ['MODE=prod'],
        workingDir: '/srv',
        exposedPorts: ['8080', '53/udp'],
        user: '1000:1000',
      },
    });
    assert.equal(good.status, 'succeeded', good.error ?? '');
    assert.deepEqual(
      good.steps?.map((s) => [s.name, s.status]).filter(([n]) => n !== 'realise' && n !== 'closure-size'),
      [
        ['image', 'succeeded'],
        ['registry', 'succeeded'],
        ['deploy', 'succeeded'],
        ['current', 'succeeded'],
      ],
    );
    assert.ok(good.image?.current, 'the image is current');
    assert.ok(good.image.tags.includes('current'));
    assert.equal(digestOf(`${repo}:current`), good.image.digest);

    // The receiver saw two attempts (503, then 204) of one delivery, each signed over its body.
    assert.equal(hook.requests.length, 2);
    const [first, second] = hook.requests;
    assert.equal(first!.headers['x-kiln-delivery'], second!.headers['x-kiln-delivery']);
    for (const request of hook.requests) {
      const expected = `sha256=${createHmac('sha256', SECRET).update(request.body).digest('hex')}`;
      assert.equal(request.headers['x-kiln-signature-256'], expected);
      assert.equal(request.headers['x-kiln-event'], 'deploy');
    }
    const payload = JSON.parse(second!.body) as {
      image: { digest: string; ref: string };
      build: { id: string };
    };
    assert.equal(payload.image.digest, good.image.digest);
    assert.equal(payload.build.id, good.id);
    assert.deepEqual(
      { ...good.deploy, durationMs: 0 },
      {
        url: `http://127.0.0.1:${new URL(hook.url).port}/deploy?…`,
        deliveryId: first!.headers['x-kiln-delivery'],
        status: 204,
        attempts: 2,
        durationMs: 0,
      },
    );
    assert.equal(
      good.deployHook,
      `http://127.0.0.1:${new URL(hook.url).port}/deploy?…`,
      'the query is hidden',
    );

    // The settings are in the image's config, as a registry client reads it.
    const config = JSON.parse(
      skopeo(['inspect', '--config', '--tls-verify=false', `docker://${repo}:v1`]),
    ) as {
      config: Record<string, unknown>;
    };
    assert.deepEqual(config.config['Entrypoint'], ['/bin/app']);
    assert.deepEqual(config.config['Cmd'], ['--serve']);
    assert.deepEqual(config.config['Env'], ['PATH=/bin', 'MODE=prod']);
    assert.equal(config.config['WorkingDir'], '/srv');
    assert.equal(config.config['User'], '1000:1000');
    assert.deepEqual(config.config['ExposedPorts'], { '53/udp': {}, '8080/tcp': {} });

    // The hook refuses: the build fails naming the step, its image is recorded but not current.
    failHook = true;
    const refused = await buildOne(app, {
      source: { kind: 'expr', expression: appExpr('two') },
      serviceId: 'svc',
      image: `${repo}:v1`,
      deployHook: hook.url,
    });
    assert.equal(refused.status, 'failed');
    assert.match(
      refused.error ?? '',
      /^step deploy: webhook http:\/\/127\.0\.0\.1:\d+\/deploy\?…: answered 500/,
    );
    assert.equal(refused.reason, 'deploy-failed');
    assert.ok(refused.image && !refused.image.current);
    assert.equal(digestOf(`${repo}:${refused.id.toLowerCase()}`), refused.image.digest, 'pushed by id');
    assert.equal(digestOf(`${repo}:current`), good.image.digest, 'current is the last good image');

    // The registry goes down: the build fails at the registry step and current stays.
    await registry.kill();
    const down = await buildOne(app, {
      source: { kind: 'expr', expression: appExpr('three') },
      serviceId: 'svc',
      image: `${repo}:v1`,
    });
    assert.equal(down.status, 'failed');
    assert.match(down.error ?? '', /^step registry: .*127\.0\.0\.1/);
    await registry.restart();
    assert.equal(digestOf(`${repo}:current`), good.image.digest, 'current survived the outage');

    // Per-service statistics: one good build of three, the last good image is the first one.
    const stats = await app.app.inject({ url: '/api/v1/stats?serviceId=svc', headers: app.auth });
    const body = stats.json<{ successRate: number; lastGoodImage: { buildId: string; digest: string } }>();
    assert.equal(Math.round(body.successRate), 33);
    assert.equal(body.lastGoodImage.buildId, good.id);
    assert.equal(body.lastGoodImage.digest, good.image.digest);
  });

  void it('refuses a deploy hook when no secret signs it, and the tag current', async (t) => {
    const app = await startTestApp(t);
    const expression = drvExpr('echo > $out');
    const noSecret = await app.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: app.auth,
      payload: {
        source: { kind: 'expr', expression },
        image: '127.0.0.1:1/a',
        deployHook: 'http://127.0.0.1:1/',
      },
    });
    assert.equal(noSecret.statusCode, 400);
    assert.match(noSecret.json<{ error: { message: string } }>().error.message, /KILN_DEPLOY_SECRET/);
    const current = await app.app.inject({
      method: 'POST',
      url: '/api/v1/builds',
      headers: app.auth,
      payload: { source: { kind: 'expr', expression }, image: '127.0.0.1:1/a:current' },
    });
    assert.equal(current.statusCode, 400);
    assert.match(current.json<{ error: { message: string } }>().error.message, /current/);
  });

  void it('pushes to the fallback registry when the primary stays down', async (t) => {
    const fallback = await startRegistry(t);
    const deadPort = await freePort();
    const app = await startTestApp(t, {
      registry: { ...FAST.registry, fallbackUrl: `http://${fallback.host}` },
    });
    const build = await buildOne(app, {
      source: { kind: 'expr', expression: appExpr('fallback') },
      image: `127.0.0.1:${deadPort}/team/app:v1`,
    });
    assert.equal(build.status, 'succeeded', build.error ?? '');
    assert.equal(build.image?.fallback, true);
    assert.equal(build.image.ref, `${fallback.host}/team/app:v1`);
    assert.equal(digestOf(`${fallback.host}/team/app:v1`), build.image.digest);
    assert.equal(digestOf(`${fallback.host}/team/app:current`), build.image.digest);
    const log = await app.app.inject({
      url: `/api/v1/builds/${build.id}/log?format=text`,
      headers: app.auth,
    });
    assert.match(log.body, /pushing to the fallback registry/);
  });

  void it('pushes one image index for a build on two systems, and points current at it', async (t) => {
    const registry = await startRegistry(t);
    const app = await startTestApp(t, FAST);
    const repo = `${registry.host}/multi/app`;
    const expression = `derivation { name = "multi-image"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; nonce = "${nonce()}"; args = [ "-c" "mkdir -p $out/bin; uname -m > $out/machine" ]; }`;
    const builds = await submit(app, {
      source: { kind: 'expr', expression },
      systems: ['x86_64-linux', 'i686-linux'],
      image: `${repo}:v2`,
    });
    const done = await Promise.all(builds.map((b) => finishedBuild(app, b.id)));
    for (const b of done) assert.equal(b.status, 'succeeded', b.error ?? '');
    const withIndex = done.filter((b) => b.image?.index !== undefined);
    assert.ok(withIndex.length >= 1, 'the index is recorded');
    const index = withIndex[0]!.image!.index!;
    assert.equal(index.ref, `${repo}:v2`);
    assert.deepEqual(index.platforms, ['linux/386', 'linux/amd64']);
    assert.ok(index.tags.includes('current'));

    const raw = JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${repo}:v2`])) as {
      mediaType: string;
      manifests: { digest: string; platform: { architecture: string; os: string } }[];
    };
    assert.equal(raw.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(raw.manifests.map((m) => m.platform.architecture).sort(), ['386', 'amd64']);
    assert.deepEqual(
      raw.manifests.map((m) => m.digest).sort(),
      done.map((b) => b.image!.digest).sort(),
      "each system's image is in the index",
    );
    assert.equal(digestOf(`${repo}:current`).length > 0, true);
    const currentRaw = skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${repo}:current`]);
    assert.deepEqual(JSON.parse(currentRaw), raw, 'current is the index');
    // Each system's image is reachable by its build id and runs on its own architecture.
    for (const b of done) {
      const arch = (
        JSON.parse(
          skopeo(['inspect', '--config', '--tls-verify=false', `docker://${repo}:${b.id.toLowerCase()}`]),
        ) as { architecture: string }
      ).architecture;
      assert.equal(arch, b.system === 'i686-linux' ? '386' : 'amd64');
    }
  });

  void it('kiln image: pushes an image of an existing build, and can roll current back to it', async (t) => {
    const registry = await startRegistry(t);
    const app = await startTestApp(t, FAST);
    const repo = `${registry.host}/later/app`;
    const old = await buildOne(app, { source: { kind: 'expr', expression: appExpr('old') } });
    assert.equal(old.status, 'succeeded');
    assert.equal(old.image, null);
    const newer = await buildOne(app, {
      source: { kind: 'expr', expression: appExpr('new') },
      image: `${repo}:v1`,
    });
    assert.equal(digestOf(`${repo}:current`), newer.image?.digest);

    const res = await app.app.inject({
      method: 'POST',
      url: `/api/v1/builds/${old.id}/image`,
      headers: app.auth,
      payload: { image: `${repo}:rollback`, current: true, imageConfig: { cmd: ['/bin/app'] } },
    });
    assert.equal(res.statusCode, 200, res.body);
    const view = res.json<BuildView>();
    assert.equal(view.status, 'succeeded');
    assert.ok(view.image?.current);
    assert.equal(digestOf(`${repo}:rollback`), view.image.digest);
    assert.equal(digestOf(`${repo}:${old.id.toLowerCase()}`), view.image.digest);
    assert.equal(digestOf(`${repo}:current`), view.image.digest, 'current rolled back');
    const log = await app.app.inject({ url: `/api/v1/builds/${old.id}/log?format=text`, headers: app.auth });
    assert.match(log.body, /image pushed: /);

    // A build that did not succeed has nothing to make an image of; a dead registry is a 502.
    const failed = await buildOne(app, { source: { kind: 'expr', expression: drvExpr('exit 3') } });
    const conflict = await app.app.inject({
      method: 'POST',
      url: `/api/v1/builds/${failed.id}/image`,
      headers: app.auth,
      payload: { image: `${repo}:x` },
    });
    assert.equal(conflict.statusCode, 409, conflict.body);
    await registry.kill();
    const down = await app.app.inject({
      method: 'POST',
      url: `/api/v1/builds/${old.id}/image`,
      headers: app.auth,
      payload: { image: `${repo}:again` },
    });
    assert.equal(down.statusCode, 502, down.body);
    assert.equal(down.json<{ error: { code: string } }>().error.code, 'KILN_ERR_REGISTRY');
  });
});
