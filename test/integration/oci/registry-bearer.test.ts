import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { isKilnError } from '../../../src/errors/index.js';
import { pushImage } from '../../../src/oci/registry/index.js';
import { startRegistry, type TestRegistry } from '../../helpers/registry.js';
import { startTokenServer, type TokenServer, type TokenServerOptions } from '../../helpers/token-server.js';
import { tempDir } from '../../helpers/tmp.js';
import { makeTestImage, type TestImage } from './registry-fixtures.js';

const USER = 'kiln';
const PASSWORD = 's3cret';

interface Setup {
  registry: TestRegistry;
  tokens: TokenServer;
  image: TestImage;
}

/** Debian's docker-registry with `auth.token`, trusting a token server started for the test. */
async function setup(t: TestContext, grant?: TokenServerOptions['grant']): Promise<Setup> {
  const tokens = await startTokenServer(t, { username: USER, password: PASSWORD, grant });
  const registry = await startRegistry(t, { tokenAuth: tokens.registryAuth });
  const image = makeTestImage(tempDir(t), [{ 'etc/hello': 'hello\n' }]);
  return { registry, tokens, image };
}

function push({ registry, image }: Setup, password: string): ReturnType<typeof pushImage> {
  return pushImage({
    reference: `${registry.host}/team/app:v1`,
    imageDir: image.dir,
    manifest: image.manifest,
    credentials: { username: USER, password },
  });
}

/**
 * `skopeo inspect`, asynchronously: skopeo asks the token server, which runs in this process, so
 * the fixtures' execFileSync would deadlock.
 */
function skopeoInspect(
  reference: string,
  creds?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = [
    'inspect',
    '--tls-verify=false',
    ...(creds ? ['--creds', creds] : []),
    `docker://${reference}`,
  ];
  return new Promise((resolve) => {
    execFile(
      'skopeo',
      args,
      { env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Nothing of team/app reached the registry's storage, and skopeo (with good credentials) finds no tag. */
async function assertNothingPushed({ registry }: Setup): Promise<void> {
  const repo = join(registry.storageDir, 'docker', 'registry', 'v2', 'repositories', 'team', 'app');
  assert.equal(existsSync(join(repo, '_manifests')), false, 'no manifest was stored');
  const inspect = await skopeoInspect(`${registry.host}/team/app:v1`, `${USER}:${PASSWORD}`);
  assert.notEqual(inspect.code, 0);
  assert.match(inspect.stderr, /manifest unknown|not found/i);
}

describe('pushing to a real docker-registry with token (Bearer) auth', () => {
  it('gets a token for repository:team/app:pull,push and pushes an image skopeo reads back', async (t) => {
    const s = await setup(t);
    const report = await push(s, PASSWORD);
    assert.equal(report.manifestDigest, s.image.manifestDigest);

    const asked = s.tokens.requests.filter((r) => r.authorized);
    assert.ok(asked.length >= 1, 'the token server was asked');
    assert.ok(
      s.tokens.requests.every((r) => r.authorized && r.username === USER),
      JSON.stringify(s.tokens.requests),
    );
    assert.ok(asked.every((r) => r.service === 'kiln-test-registry'));
    assert.ok(
      asked.some((r) => r.scopes.includes('repository:team/app:pull,push')),
      JSON.stringify(asked.map((r) => r.scopes)),
    );
    // Tokens are cached per scope: one push is one token, not one per request.
    assert.equal(asked.length, 1, JSON.stringify(asked.map((r) => r.scopes)));

    // skopeo goes through the same realm on its own and sees what kiln pushed.
    const before = s.tokens.requests.length;
    const inspect = await skopeoInspect(`${s.registry.host}/team/app:v1`, `${USER}:${PASSWORD}`);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal((JSON.parse(inspect.stdout) as { Digest: string }).Digest, report.manifestDigest);
    assert.ok(s.tokens.requests.length > before, 'skopeo fetched its own token');

    // Without credentials the registry lets nobody read it.
    assert.notEqual((await skopeoInspect(`${s.registry.host}/team/app:v1`)).code, 0);
  });

  it('fails clearly when the token server rejects the password, and pushes nothing', async (t) => {
    const s = await setup(t);
    await assert.rejects(push(s, 'wrong-password'), (error) => {
      assert.ok(isKilnError(error), String(error));
      assert.equal(error.code, 'KILN_ERR_UNAUTHORIZED');
      const realm = new URL(s.tokens.registryAuth.realm).host;
      assert.match(
        error.message,
        new RegExp(
          `^registry ${s.registry.host}'s token server ${realm} rejected the credentials of user 'kiln'`,
        ),
      );
      assert.doesNotMatch(error.message, /wrong-password/);
      return true;
    });
    assert.ok(s.tokens.requests.length >= 1);
    assert.ok(s.tokens.requests.every((r) => !r.authorized && r.username === USER));
    await assertNothingPushed(s);
  });

  it('fails clearly when the token grants only pull, and pushes nothing', async (t) => {
    const s = await setup(t, (access) => access.actions.filter((a) => a === 'pull'));
    await assert.rejects(push(s, PASSWORD), (error) => {
      assert.ok(isKilnError(error), String(error));
      // The password was right: the error says the token lacks push, not that credentials failed.
      assert.equal(error.code, 'KILN_ERR_FORBIDDEN');
      assert.match(
        error.message,
        new RegExp(
          `^registry ${s.registry.host}: the token for user 'kiln' does not grant 'repository:team/app:(pull,push|push,pull)' \\(insufficient_scope\\)$`,
        ),
      );
      assert.doesNotMatch(error.message, /rejected the credentials/);
      return true;
    });
    assert.ok(s.tokens.requests.every((r) => r.authorized));
    assert.ok(s.tokens.requests.some((r) => r.scopes.includes('repository:team/app:pull,push')));
    await assertNothingPushed(s);
  });
});
