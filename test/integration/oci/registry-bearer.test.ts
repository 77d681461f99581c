import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { isKilnError } from '../../../src/errors/index.js';
import { pushImage } from '../../../src/oci/registry/index.js';
import { startRegistry, type TestRegistry } from '../../helpers/registry.js';
import { startTokenServer, type TokenServer, type TokenServerOptions } from '../../helpers/token-server.js';
import { tempDir } from '../../helpers/tmp.js';
import { makeTestImage, skopeoInspect, type TestImage } from './registry-fixtures.js';

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

/** Nothing of team/app reached the registry's storage, and skopeo (with good credentials) finds no tag. */
function assertNothingPushed({ registry }: Setup): void {
  const repo = join(registry.storageDir, 'docker', 'registry', 'v2', 'repositories', 'team', 'app');
  assert.equal(existsSync(join(repo, '_manifests')), false, 'no manifest was stored');
  const inspect = skopeoInspect(`${registry.host}/team/app:v1`, { creds: `${USER}:${PASSWORD}` });
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
    const inspect = skopeoInspect(`${s.registry.host}/team/app:v1`, { creds: `${USER}:${PASSWORD}` });
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal((JSON.parse(inspect.stdout) as { Digest: string }).Digest, report.manifestDigest);
    assert.ok(s.tokens.requests.length > before, 'skopeo fetched its own token');

    // Without credentials the registry lets nobody read it.
    assert.notEqual(skopeoInspect(`${s.registry.host}/team/app:v1`).code, 0);
  });

  it('fails clearly when the token server rejects the password, and pushes nothing', async (t) => {
    const s = await setup(t);
    await assert.rejects(push(s, 'wrong-password'), (error) => {
      assert.ok(isKilnError(error), String(error));
      assert.equal(error.code, 'KILN_ERR_UNAUTHORIZED');
      assert.match(error.message, new RegExp(`registry ${s.registry.host}`));
      assert.match(error.message, /token server 127\.0\.0\.1:\d+/);
      assert.match(error.message, /rejected the credentials of user 'kiln'/);
      assert.doesNotMatch(error.message, /wrong-password/);
      return true;
    });
    assert.ok(s.tokens.requests.length >= 1);
    assert.ok(s.tokens.requests.every((r) => !r.authorized && r.username === USER));
    assertNothingPushed(s);
  });

  it('fails clearly when the token grants only pull, and pushes nothing', async (t) => {
    const s = await setup(t, (access) => access.actions.filter((a) => a === 'pull'));
    await assert.rejects(push(s, PASSWORD), (error) => {
      assert.ok(isKilnError(error), String(error));
      console.log(error.code, error.message);
      assert.match(error.message, new RegExp(`registry ${s.registry.host}`));
      return true;
    });
    assert.ok(s.tokens.requests.every((r) => r.authorized));
    assert.ok(s.tokens.requests.some((r) => r.scopes.includes('repository:team/app:pull,push')));
    assertNothingPushed(s);
  });
});
