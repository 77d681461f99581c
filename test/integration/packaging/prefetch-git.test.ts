import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { isKilnError } from '../../../src/errors/index.js';
import { prefetch } from '../../../src/packaging/index.js';
import { git } from '../../helpers/git-repos.js';
import { tempDir } from '../../helpers/tmp.js';
import { nixHashPath } from './prefetch/corpus.js';

const execFileAsync = promisify(execFile);

/** Real Nix: `(builtins.fetchGit { url; rev; }).narHash`, SRI. */
async function fetchGitNarHash(url: string, rev: string): Promise<string> {
  const expr = `(builtins.fetchGit { url = ${JSON.stringify(url)}; rev = ${JSON.stringify(rev)}; }).narHash`;
  const { stdout } = await execFileAsync('nix', [
    '--extra-experimental-features',
    'nix-command',
    'eval',
    '--impure',
    '--raw',
    '--expr',
    expr,
  ]);
  return stdout.trim();
}

/** A repository with an executable, a symlink, nested directories, an empty file; returns HEAD. */
function makeTree(repo: string, extra: Record<string, string> = {}): string {
  mkdirSync(join(repo, 'src/nested'), { recursive: true });
  git(repo, ['init', '--quiet', '--initial-branch=main']);
  writeFileSync(join(repo, 'README.md'), '# demo\n');
  writeFileSync(join(repo, 'src/nested/lib.c'), 'int x;\n');
  writeFileSync(join(repo, 'empty'), '');
  writeFileSync(join(repo, 'src/build.sh'), '#!/bin/sh\n');
  chmodSync(join(repo, 'src/build.sh'), 0o755);
  symlinkSync('README.md', join(repo, 'readme-link'));
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(repo, name), text);
  git(repo, ['add', '--all']);
  git(repo, ['commit', '--quiet', '-m', 'tree']);
  return git(repo, ['rev-parse', 'HEAD']);
}

describe('prefetch of a git revision', () => {
  it("equals builtins.fetchGit's narHash and names the path 'source'", async (t) => {
    const repo = join(tempDir(t), 'repo');
    const rev = makeTree(repo);
    // A later commit on main: the rev asked for, not the tip, is what gets hashed.
    writeFileSync(join(repo, 'README.md'), 'changed\n');
    git(repo, ['commit', '--quiet', '-am', 'later']);

    const url = `file://${repo}`;
    const kiln = await prefetch(`git+${url}`, { rev });
    assert.equal(kiln.sri, await fetchGitNarHash(url, rev));
    assert.equal(kiln.name, 'source');
    assert.equal(kiln.method, 'recursive');
    assert.deepEqual(kiln.source, { kind: 'git', location: url, rev });
    assert.match(kiln.storePath, /^\/nix\/store\/[0-9a-z]{32}-source$/);
  });

  it('treats any URL given a rev as a git repository', async (t) => {
    const repo = join(tempDir(t), 'repo');
    const rev = makeTree(repo);
    const kiln = await prefetch(`file://${repo}`, { rev });
    assert.equal(kiln.source.kind, 'git');
    assert.equal(kiln.sri, await fetchGitNarHash(`file://${repo}`, rev));
  });

  // Nix 2.8's fetchGit exports the tree with `git archive`, which drops export-ignore paths;
  // nixpkgs' fetchgit (and kiln) hash the checkout, which keeps them.
  it('keeps export-ignore files as fetchgit does, unlike builtins.fetchGit', async (t) => {
    const dir = tempDir(t);
    const repo = join(dir, 'repo');
    const rev = makeTree(repo, { '.gitattributes': 'secret.txt export-ignore\n', 'secret.txt': 'kept\n' });
    const kiln = await prefetch(`git+file://${repo}`, { rev });

    const checkout = join(dir, 'checkout');
    cpSync(repo, checkout, { recursive: true, verbatimSymlinks: true });
    rmSync(join(checkout, '.git'), { recursive: true });
    assert.equal(kiln.sri, nixHashPath(checkout));
    assert.notEqual(kiln.sri, await fetchGitNarHash(`file://${repo}`, rev));
  });

  it('needs a rev, and reports an unknown one as a git error, leaving no temp files', async (t) => {
    const repo = join(tempDir(t), 'repo');
    makeTree(repo);
    const tmp = tempDir(t);
    await assert.rejects(prefetch(`git+file://${repo}`, { tmpDir: tmp }), (error: Error) => {
      assert.ok(isKilnError(error));
      assert.equal(error.code, 'KILN_ERR_VALIDATION');
      assert.match(error.message, /needs a rev/);
      return true;
    });
    await assert.rejects(
      prefetch(`git+file://${repo}`, { rev: 'f'.repeat(40), tmpDir: tmp }),
      (error: Error) => {
        assert.ok(isKilnError(error));
        assert.match(error.code, /^KILN_ERR_GIT/);
        return true;
      },
    );
    assert.deepEqual(readdirSync(tmp), []);
  });
});
