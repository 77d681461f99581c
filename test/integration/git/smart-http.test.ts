import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tmpdir } from 'node:os';
import { isKilnError } from '../../../src/errors/index.js';
import { GitClient, validateGitUrl, type ValidGitUrl } from '../../../src/git/index.js';
import { startGitHttpServer, type GitHttpServer } from '../../helpers/git-server.js';
import { bareClone, git, makeFixtureRepo, makeRepo, COMMITS } from '../../helpers/git-repos.js';
import { recordingGit } from './recording-git.js';

const TOKEN = 'kiln-test-token-9f3c1d7e';
const remote = { allowLocal: false };

describe('GitClient over smart HTTP with a token (git http-backend)', () => {
  let root: string;
  let server: GitHttpServer;
  let url: ValidGitUrl;
  let shas: { main: string[]; feature: string };
  let recorder: { gitBin: string; log: string };
  let client: GitClient;
  const errors: string[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'kiln-git-http-'));
    mkdirSync(join(root, 'served'));
    shas = makeFixtureRepo(join(root, 'work'));
    bareClone(join(root, 'work'), join(root, 'served', 'repo.git'));
    server = await startGitHttpServer({ projectRoot: join(root, 'served'), password: TOKEN });
    url = validateGitUrl(`${server.url}/repo.git`, remote);
    recorder = recordingGit(root);
    client = new GitClient({ gitBin: recorder.gitBin, timeoutMs: 60_000 });
  });
  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** Expects a KilnError with `code` and keeps its text for the secret-leak check. */
  const rejectsWith = (code: string) => (error: unknown) => {
    assert.ok(isKilnError(error), String(error));
    errors.push(error.message, JSON.stringify(error.details ?? {}));
    assert.equal(error.code, code, error.message);
    return true;
  };

  it('resolves refs and clones with the right token', async () => {
    assert.deepEqual(await client.lsRemote(url, 'main', { token: TOKEN }), {
      commit: shas.main[2],
      ref: 'refs/heads/main',
    });
    assert.deepEqual(await client.lsRemote(url, 'v1', { token: TOKEN }), {
      commit: shas.main[0],
      ref: 'refs/tags/v1',
    });
    const target = join(root, 'clone-main');
    assert.deepEqual(await client.clone(url, 'feature', target, { credentials: { token: TOKEN } }), {
      commit: shas.feature,
    });
    assert.equal(git(target, ['rev-list', '--count', 'HEAD']), '1');
    const bySha = await client.clone(url, shas.main[0], join(root, 'clone-sha'), {
      credentials: { token: TOKEN },
    });
    assert.equal(bySha.commit, shas.main[0]);
    // The server saw authenticated requests, with the fixed token user name.
    assert.ok(server.requests.some((r) => r.status === 200 && r.user === 'x-access-token'));
  });

  it('reports a wrong token as KILN_ERR_GIT_AUTH pointing at the token options', async () => {
    await assert.rejects(client.lsRemote(url, 'main', { token: `${TOKEN}-wrong` }), (error: unknown) => {
      rejectsWith('KILN_ERR_GIT_AUTH')(error);
      assert.match((error as Error).message, /--git-token-file/);
      return true;
    });
    await assert.rejects(
      client.clone(url, 'main', join(root, 'clone-wrong'), { credentials: { token: `${TOKEN}-wrong` } }),
      rejectsWith('KILN_ERR_GIT_AUTH'),
    );
    assert.equal(existsSync(join(root, 'clone-wrong')), false);
  });

  it('reports a missing token as KILN_ERR_GIT_AUTH', async () => {
    await assert.rejects(client.lsRemote(url, 'main', {}), rejectsWith('KILN_ERR_GIT_AUTH'));
  });

  it('reports a missing repository as KILN_ERR_GIT_REPO_NOT_FOUND and an unknown branch as REF_NOT_FOUND', async () => {
    const missing = validateGitUrl(`${server.url}/missing.git`, remote);
    await assert.rejects(
      client.lsRemote(missing, 'main', { token: TOKEN }),
      rejectsWith('KILN_ERR_GIT_REPO_NOT_FOUND'),
    );
    await assert.rejects(
      client.lsRemote(url, 'nope', { token: TOKEN }),
      rejectsWith('KILN_ERR_GIT_REF_NOT_FOUND'),
    );
    await assert.rejects(
      client.clone(url, 'nope', join(root, 'clone-nope'), { credentials: { token: TOKEN } }),
      rejectsWith('KILN_ERR_GIT_REF_NOT_FOUND'),
    );
  });

  it('reports an unreachable server as KILN_ERR_GIT_REPO_NOT_FOUND', async () => {
    const closed = validateGitUrl('http://127.0.0.1:1/repo.git', remote);
    await assert.rejects(
      client.lsRemote(closed, 'main', { token: TOKEN }),
      rejectsWith('KILN_ERR_GIT_REPO_NOT_FOUND'),
    );
  });

  it('refuses to send a token over plain http to a host that is not loopback', async () => {
    const plain = validateGitUrl('http://git.example.org/repo.git', remote);
    await assert.rejects(client.lsRemote(plain, 'main', { token: TOKEN }), rejectsWith('KILN_ERR_GIT_URL'));
  });

  it('does not fetch file:// submodules of a remote repository', async () => {
    const sub = join(root, 'sub-src');
    makeRepo(sub, [{ ...COMMITS[0]!, files: { 'secret.txt': 'server disk\n' } }]);
    const superDir = join(root, 'super-src');
    makeRepo(superDir, [COMMITS[0]!]);
    git(superDir, [
      '-c',
      'protocol.file.allow=always',
      'submodule',
      'add',
      '--quiet',
      `file://${sub}`,
      'sub',
    ]);
    git(superDir, ['commit', '--quiet', '-m', 'Add submodule']);
    bareClone(superDir, join(root, 'served', 'super.git'));
    const superUrl = validateGitUrl(`${server.url}/super.git`, remote);
    const target = join(root, 'clone-super');
    await assert.rejects(
      client.clone(superUrl, 'main', target, { credentials: { token: TOKEN }, submodules: true }),
      (error: unknown) => {
        rejectsWith('KILN_ERR_GIT')(error);
        assert.match((error as Error).message, /transport 'file' not allowed/);
        return true;
      },
    );
    assert.equal(existsSync(join(target, 'sub', 'secret.txt')), false);
  });

  it('never puts the token in argv or error messages, and removes the askpass script', () => {
    const log = readFileSync(recorder.log, 'utf8');
    assert.ok(!log.includes(TOKEN), 'the token appears in the recorded git command lines');
    const askpass = [...log.matchAll(/^ASKPASS: (\S+) (\d+)$/gm)];
    assert.ok(askpass.length > 0, 'the token was not passed through GIT_ASKPASS');
    for (const [, path, mode] of askpass) {
      assert.equal(mode, '700');
      assert.equal(existsSync(path ?? ''), false, `${path} was left behind`);
    }
    for (const [, home, mode] of log.matchAll(/^HOME: (\S+) (\d+)$/gm)) {
      assert.equal(mode, '700');
      assert.equal(existsSync(home ?? ''), false, `${home} was left behind`);
    }
    assert.match(log, /\[protocol\.ext\.allow=never\]/);
    assert.match(log, /\[protocol\.file\.allow=never\]/);
    assert.ok(errors.length >= 8);
    for (const text of errors) assert.ok(!text.includes(TOKEN), `an error leaks the token: ${text}`);
  });
});
