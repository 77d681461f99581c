import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { isKilnError } from '../../../src/errors/index.js';
import { GitClient, validateGitUrl, type ValidGitUrl } from '../../../src/git/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { COMMITS, git, makeFixtureRepo, makeRepo } from '../../helpers/git-repos.js';

const client = new GitClient({ timeoutMs: 60_000 });
const local = { allowLocal: true };
const isCode = (code: string) => (error: unknown) => isKilnError(error) && error.code === code;

function fixture(t: TestContext): {
  url: ValidGitUrl;
  dir: string;
  root: string;
  main: string[];
  feature: string;
} {
  const root = tempDir(t, 'kiln-git-local-');
  const dir = join(root, 'origin');
  const { main, feature } = makeFixtureRepo(dir);
  return { url: validateGitUrl(`file://${dir}`, local), dir, root, main, feature };
}

describe('GitClient.lsRemote over file://', () => {
  it('resolves the remote HEAD, branches, tags and full SHAs to commits', async (t) => {
    const { url, main, feature } = fixture(t);
    const head = main[2];
    assert.deepEqual(await client.lsRemote(url, undefined, {}), { commit: head, ref: 'refs/heads/main' });
    assert.deepEqual(await client.lsRemote(url, 'HEAD', {}), { commit: head, ref: 'refs/heads/main' });
    assert.deepEqual(await client.lsRemote(url, 'main', {}), { commit: head, ref: 'refs/heads/main' });
    assert.deepEqual(await client.lsRemote(url, 'feature', {}), {
      commit: feature,
      ref: 'refs/heads/feature',
    });
    assert.deepEqual(await client.lsRemote(url, 'refs/heads/feature', {}), {
      commit: feature,
      ref: 'refs/heads/feature',
    });
    // The annotated tag resolves to the commit it points at, not the tag object.
    assert.deepEqual(await client.lsRemote(url, 'v1', {}), { commit: main[0], ref: 'refs/tags/v1' });
    assert.deepEqual(await client.lsRemote(url, 'light', {}), { commit: main[1], ref: 'refs/tags/light' });
    assert.deepEqual(await client.lsRemote(url, main[1] ?? '', {}), { commit: main[1], ref: main[1] });
  });

  it('accepts an absolute path like a file:// URL', async (t) => {
    const { dir, main } = fixture(t);
    const ref = await client.lsRemote(validateGitUrl(dir, local), 'main', {});
    assert.equal(ref.commit, main[2]);
  });

  it('reports an unknown branch as KILN_ERR_GIT_REF_NOT_FOUND naming it', async (t) => {
    const { url } = fixture(t);
    await assert.rejects(client.lsRemote(url, 'no-such-branch', {}), (error: unknown) => {
      assert.ok(isKilnError(error));
      assert.equal(error.code, 'KILN_ERR_GIT_REF_NOT_FOUND');
      assert.match(error.message, /no-such-branch/);
      return true;
    });
    // `main` is only a tail match of refs/heads/feature/main here, which is not the branch main.
    await assert.rejects(client.lsRemote(url, 'ature', {}), isCode('KILN_ERR_GIT_REF_NOT_FOUND'));
  });

  it('reports a missing repository as KILN_ERR_GIT_REPO_NOT_FOUND, also for a full SHA', async (t) => {
    const root = tempDir(t);
    const url = validateGitUrl(`file://${root}/missing.git`, local);
    await assert.rejects(client.lsRemote(url, 'main', {}), isCode('KILN_ERR_GIT_REPO_NOT_FOUND'));
    await assert.rejects(client.lsRemote(url, 'a'.repeat(40), {}), isCode('KILN_ERR_GIT_REPO_NOT_FOUND'));
  });

  it('reports an empty repository as having no default branch', async (t) => {
    const root = tempDir(t);
    git(root, ['init', '--quiet', '--bare', 'empty.git']);
    await assert.rejects(
      client.lsRemote(validateGitUrl(`file://${root}/empty.git`, local), undefined, {}),
      isCode('KILN_ERR_GIT_REF_NOT_FOUND'),
    );
  });

  it('validates the ref before running git', async (t) => {
    const { url } = fixture(t);
    await assert.rejects(client.lsRemote(url, '--upload-pack=x', {}), isCode('KILN_ERR_GIT_URL'));
  });

  it('stops git when the signal aborts', async (t) => {
    const { url } = fixture(t);
    const controller = new AbortController();
    controller.abort(new Error('cancelled by test'));
    await assert.rejects(client.lsRemote(url, 'main', {}, controller.signal), /cancelled by test/);
  });
});

describe('GitClient.clone over file://', () => {
  it('clones the default branch shallowly', async (t) => {
    const { url, root, main } = fixture(t);
    const target = join(root, 'work');
    const lines: string[] = [];
    const result = await client.clone(url, undefined, target, {
      credentials: {},
      onLine: (l) => lines.push(l),
    });
    assert.deepEqual(result, { commit: main[2] });
    assert.equal(git(target, ['rev-list', '--count', 'HEAD']), '1');
    assert.equal(readFileSync(join(target, 'README.md'), 'utf8'), 'three\n');
    assert.ok(lines.some((l) => l.includes('Cloning into')));
  });

  it('clones a branch single-branch, a tag, and a deeper history on request', async (t) => {
    const { url, root, main, feature } = fixture(t);
    const branch = await client.clone(url, 'feature', join(root, 'b'), { credentials: {} });
    assert.equal(branch.commit, feature);
    assert.equal(git(join(root, 'b'), ['branch', '--remotes']), 'origin/feature');
    const tag = await client.clone(url, 'v1', join(root, 't'), { credentials: {} });
    assert.equal(tag.commit, main[0]);
    await client.clone(url, 'main', join(root, 'd'), { credentials: {}, depth: 2 });
    assert.equal(git(join(root, 'd'), ['rev-list', '--count', 'HEAD']), '2');
  });

  it('clones by full SHA with depth 1', async (t) => {
    const { url, root, main } = fixture(t);
    const target = join(root, 'sha');
    const result = await client.clone(url, main[1], target, { credentials: {} });
    assert.deepEqual(result, { commit: main[1] });
    assert.equal(git(target, ['rev-list', '--count', 'HEAD']), '1');
    assert.equal(readFileSync(join(target, 'README.md'), 'utf8'), 'two\n');
  });

  it('reports unknown branches and commits as KILN_ERR_GIT_REF_NOT_FOUND and leaves no checkout', async (t) => {
    const { url, root } = fixture(t);
    await assert.rejects(
      client.clone(url, 'nope', join(root, 'x'), { credentials: {} }),
      isCode('KILN_ERR_GIT_REF_NOT_FOUND'),
    );
    assert.equal(existsSync(join(root, 'x')), false);
    await assert.rejects(
      client.clone(url, '1'.repeat(40), join(root, 'y'), { credentials: {} }),
      isCode('KILN_ERR_GIT_REF_NOT_FOUND'),
    );
    assert.equal(existsSync(join(root, 'y')), false);
  });

  it('refuses a target that is not empty', async (t) => {
    const { url, dir } = fixture(t);
    await assert.rejects(client.clone(url, 'main', dir, { credentials: {} }), /not empty/);
  });

  it('clones submodules over file:// when asked, by branch and by SHA', async (t) => {
    const root = tempDir(t, 'kiln-git-sub-');
    const sub = join(root, 'sub');
    makeRepo(sub, [{ ...COMMITS[0]!, subject: 'sub', files: { 'lib.txt': 'from the submodule\n' } }]);
    const superDir = join(root, 'super');
    makeRepo(superDir, [COMMITS[0]!]);
    git(superDir, [
      '-c',
      'protocol.file.allow=always',
      'submodule',
      'add',
      '--quiet',
      `file://${sub}`,
      'vendor/sub',
    ]);
    git(superDir, ['commit', '--quiet', '-m', 'Add submodule']);
    const url = validateGitUrl(`file://${superDir}`, local);
    await client.clone(url, 'main', join(root, 'with'), { credentials: {}, submodules: true });
    assert.equal(
      readFileSync(join(root, 'with', 'vendor', 'sub', 'lib.txt'), 'utf8'),
      'from the submodule\n',
    );
    await client.clone(url, 'main', join(root, 'without'), { credentials: {} });
    assert.equal(existsSync(join(root, 'without', 'vendor', 'sub', 'lib.txt')), false);
    const sha = git(superDir, ['rev-parse', 'HEAD']);
    await client.clone(url, sha, join(root, 'bysha'), { credentials: {}, submodules: true });
    assert.equal(
      readFileSync(join(root, 'bysha', 'vendor', 'sub', 'lib.txt'), 'utf8'),
      'from the submodule\n',
    );
  });
});

describe('GitClient.commitInfo', () => {
  it('reports SHA, author, email, ISO 8601 date and subject', async (t) => {
    const { url, root, main } = fixture(t);
    const target = join(root, 'work');
    await client.clone(url, 'main', target, { credentials: {} });
    assert.deepEqual(await client.commitInfo(target), {
      sha: main[2],
      author: 'Łukasz Test',
      authorEmail: 'lukasz@example.org',
      date: '2024-03-03T12:45:00-05:00',
      subject: 'Third commit: café',
    });
  });

  it('reads an older commit by revision in a full repository', async (t) => {
    const { dir, main } = fixture(t);
    const info = await client.commitInfo(dir, main[1]);
    assert.equal(info.subject, 'Second commit');
    assert.equal(info.author, 'Grace Hopper');
    assert.equal(info.date, '2024-03-02T11:30:00+01:00');
    await assert.rejects(client.commitInfo(dir, 'HEAD~1'), isCode('KILN_ERR_GIT_URL'));
  });
});
