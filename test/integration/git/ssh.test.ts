import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isKilnError } from '../../../src/errors/index.js';
import { GitClient, validateGitUrl, type ValidGitUrl } from '../../../src/git/index.js';
import { sshdUnavailableReason, startGitSshServer, type GitSshServer } from '../../helpers/git-server.js';
import { recordingGit } from './recording-git.js';
import { bareClone, git, makeFixtureRepo } from '../../helpers/git-repos.js';

const unavailable = sshdUnavailableReason();
const remote = { allowLocal: false };
const isCode = (code: string) => (error: unknown) => isKilnError(error) && error.code === code;

describe('GitClient over SSH (a real sshd on loopback)', { skip: unavailable ?? false }, () => {
  let root: string;
  let server: GitSshServer;
  let url: ValidGitUrl;
  let shas: { main: string[]; feature: string };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'kiln-git-ssh-'));
    shas = makeFixtureRepo(join(root, 'work'));
    bareClone(join(root, 'work'), join(root, 'repo.git'));
    server = await startGitSshServer(root);
    url = validateGitUrl(server.urlFor(join(root, 'repo.git')), remote);
  });
  after(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('resolves and clones with the authorized key against the configured known hosts', async () => {
    const recorder = recordingGit(root);
    const client = new GitClient({ gitBin: recorder.gitBin, knownHostsFile: server.knownHostsFile });
    const credentials = { sshPrivateKey: server.clientKey };
    assert.deepEqual(await client.lsRemote(url, 'main', credentials), {
      commit: shas.main[2],
      ref: 'refs/heads/main',
    });
    const target = join(root, 'clone');
    assert.deepEqual(await client.clone(url, 'feature', target, { credentials }), { commit: shas.feature });
    assert.equal(git(target, ['rev-list', '--count', 'HEAD']), '1');

    const log = readFileSync(recorder.log, 'utf8');
    const keyBody = server.clientKey.split('\n')[1] ?? '';
    assert.ok(keyBody.length > 20 && !log.includes(keyBody), 'the key appears in argv or env');
    const keys = [...log.matchAll(/^KEY: (\S+) (\d+)$/gm)];
    assert.ok(keys.length > 0);
    for (const [, path, mode] of keys) {
      assert.equal(mode, '600');
      assert.equal(existsSync(path ?? ''), false, `${path} was left behind`);
    }
    assert.match(log, /^SSH: .* -i '\S+\/id_key' -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes /m);
  });

  it('refuses a host whose key is not the known one', async () => {
    const wrongKnown = join(root, 'wrong_known_hosts');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(root, 'other')]);
    const otherKey = readFileSync(join(root, 'other.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(wrongKnown, `[127.0.0.1]:${server.port} ${otherKey}\n`);
    const client = new GitClient({ knownHostsFile: wrongKnown });
    await assert.rejects(
      client.lsRemote(url, 'main', { sshPrivateKey: server.clientKey }),
      (error: unknown) => {
        assert.ok(isKilnError(error));
        assert.equal(error.code, 'KILN_ERR_GIT');
        assert.match(error.message, /host key verification failed/);
        return true;
      },
    );
    // Without any known hosts nothing is trusted either.
    await assert.rejects(
      new GitClient().lsRemote(url, 'main', { sshPrivateKey: server.clientKey }),
      isCode('KILN_ERR_GIT'),
    );
  });

  it('tells bad keys, missing repositories and unknown branches apart', async () => {
    const client = new GitClient({ knownHostsFile: server.knownHostsFile });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(root, 'stranger')]);
    const stranger = readFileSync(join(root, 'stranger'), 'utf8');
    await assert.rejects(client.lsRemote(url, 'main', { sshPrivateKey: stranger }), (error: unknown) => {
      assert.ok(isCode('KILN_ERR_GIT_AUTH')(error));
      assert.match((error as Error).message, /--ssh-key-file/);
      return true;
    });
    await assert.rejects(client.lsRemote(url, 'main', {}), isCode('KILN_ERR_GIT_AUTH'));
    const missing = validateGitUrl(server.urlFor(join(root, 'missing.git')), remote);
    await assert.rejects(
      client.lsRemote(missing, 'main', { sshPrivateKey: server.clientKey }),
      isCode('KILN_ERR_GIT_REPO_NOT_FOUND'),
    );
    await assert.rejects(
      client.lsRemote(url, 'nope', { sshPrivateKey: server.clientKey }),
      isCode('KILN_ERR_GIT_REF_NOT_FOUND'),
    );
  });

  it('removes the key file when git fails', async () => {
    const recorder = recordingGit(join(root));
    const client = new GitClient({ gitBin: recorder.gitBin, knownHostsFile: server.knownHostsFile });
    const missing = validateGitUrl(server.urlFor(join(root, 'missing.git')), remote);
    await assert.rejects(
      client.clone(missing, 'main', join(root, 'c2'), { credentials: { sshPrivateKey: server.clientKey } }),
    );
    for (const [, path] of readFileSync(recorder.log, 'utf8').matchAll(/^KEY: (\S+) \d+$/gm)) {
      assert.equal(existsSync(path ?? ''), false);
    }
  });
});
