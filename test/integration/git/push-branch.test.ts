import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../src/errors/index.js';
import { GitClient, validateGitUrl } from '../../../src/git/index.js';
import { bareClone, git, makeFixtureRepo } from '../../helpers/git-repos.js';
import { startGitHttpServer } from '../../helpers/git-server.js';
import { tempDir } from '../../helpers/tmp.js';
import { recordingGit } from './recording-git.js';

const TOKEN = 'kiln-push-token-5e1f0a2b';

describe('GitClient.pushBranch over smart HTTP with a token', () => {
  it('pushes a new branch from a shallow clone, never overwrites one, and keeps the token out of argv', async (t) => {
    const root = tempDir(t, 'kiln-git-push-');
    mkdirSync(join(root, 'served'));
    makeFixtureRepo(join(root, 'work'));
    const bare = join(root, 'served', 'repo.git');
    bareClone(join(root, 'work'), bare);
    git(bare, ['config', 'http.receivepack', 'true']);
    const server = await startGitHttpServer({ projectRoot: join(root, 'served'), password: TOKEN });
    t.after(() => server.close());
    const recorder = recordingGit(root);
    const client = new GitClient({ gitBin: recorder.gitBin, timeoutMs: 60_000 });
    const url = validateGitUrl(`${server.url}/repo.git`, { allowLocal: false });

    const clone = join(root, 'clone');
    await client.clone(url, 'main', clone, { credentials: { token: TOKEN }, depth: 1 });
    // A commit on a new branch, as bump makes it: plumbing only, the checkout stays on main.
    const env = {
      GIT_AUTHOR_NAME: 'kiln',
      GIT_AUTHOR_EMAIL: 'kiln@localhost',
      GIT_COMMITTER_NAME: 'kiln',
      GIT_COMMITTER_EMAIL: 'kiln@localhost',
    };
    const tree = git(clone, ['write-tree']);
    const commit = git(clone, ['commit-tree', tree, '-p', 'HEAD', '-m', 'bump'], env);
    git(clone, ['update-ref', 'refs/heads/kiln/bump-x-1.0', commit]);

    const lines: string[] = [];
    await client.pushBranch(url, clone, 'kiln/bump-x-1.0', {
      credentials: { token: TOKEN },
      onLine: (line) => lines.push(line),
    });
    assert.equal(git(bare, ['rev-parse', 'refs/heads/kiln/bump-x-1.0']), commit);
    assert.ok(
      server.requests.some((r) => r.path.endsWith('/git-receive-pack') && r.user === 'x-access-token'),
    );

    // The same name again: a conflict, and the remote branch is left as it was.
    const other = git(clone, ['commit-tree', tree, '-p', 'HEAD', '-m', 'another'], env);
    git(clone, ['update-ref', 'refs/heads/kiln/bump-x-1.0', other]);
    await assert.rejects(
      client.pushBranch(url, clone, 'kiln/bump-x-1.0', { credentials: { token: TOKEN } }),
      (error: unknown) =>
        isKilnError(error) && error.code === 'KILN_ERR_CONFLICT' && /exists/.test(error.message),
    );
    assert.equal(git(bare, ['rev-parse', 'refs/heads/kiln/bump-x-1.0']), commit);

    // A wrong token: an auth error that does not echo the token; nothing reaches the remote.
    git(clone, ['update-ref', 'refs/heads/kiln/bump-x-2.0', other]);
    await assert.rejects(
      client.pushBranch(url, clone, 'kiln/bump-x-2.0', { credentials: { token: `${TOKEN}-wrong` } }),
      (error: unknown) =>
        isKilnError(error) &&
        error.code === 'KILN_ERR_GIT_AUTH' &&
        !JSON.stringify([error.message, error.details]).includes(TOKEN),
    );
    assert.throws(() => git(bare, ['rev-parse', '--verify', 'refs/heads/kiln/bump-x-2.0']));

    // Refs that are not plain branch names are refused before git runs.
    for (const bad of ['refs/heads/main', 'HEAD', '-f', 'a'.repeat(40)]) {
      await assert.rejects(
        client.pushBranch(url, clone, bad, { credentials: { token: TOKEN } }),
        (error: unknown) =>
          isKilnError(error) && ['KILN_ERR_VALIDATION', 'KILN_ERR_GIT_URL'].includes(error.code),
        bad,
      );
    }

    const calls = readFileSync(recorder.log, 'utf8');
    assert.match(calls, /ARGV:.*\[push\]/);
    assert.ok(!calls.includes(TOKEN), 'the token never appears in any git argv');
    assert.ok(!lines.join('\n').includes(TOKEN));
  });
});
