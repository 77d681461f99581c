import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  GitBuildPreparer,
  flakeAttrPath,
  gitCacheKey,
  rootedByBuild,
  type GitPort,
} from '../../../src/builds/index.js';
import type { BuildRecord } from '../../../src/persistence/index.js';

describe('flake attributes', () => {
  it('reads a bare name as packages.<system>.<name>, a dotted path as given, nothing as default', () => {
    assert.equal(flakeAttrPath(undefined, 'x86_64-linux'), 'packages.x86_64-linux.default');
    assert.equal(flakeAttrPath('hello', 'i686-linux'), 'packages.i686-linux.hello');
    assert.equal(flakeAttrPath('checks.x86_64-linux.fmt', 'i686-linux'), 'checks.x86_64-linux.fmt');
  });
});

describe('cache keys of Git builds', () => {
  const base = {
    url: 'https://h/x.git',
    commit: 'a'.repeat(40),
    attr: 'hello',
    system: 'x86_64-linux',
    env: { B: '2', A: '1' },
    submodules: false,
  };
  it('are equal for the same build whatever the order of the environment', () => {
    assert.equal(gitCacheKey(base), gitCacheKey({ ...base, env: { A: '1', B: '2' } }));
  });
  it('differ when the repository, commit, attribute, system, environment or submodules differ', () => {
    const variants = [
      { url: 'https://h/y.git' },
      { commit: 'b'.repeat(40) },
      { attr: undefined },
      { system: 'i686-linux' },
      { env: { A: '1' } },
      { submodules: true },
    ];
    const keys = new Set([gitCacheKey(base), ...variants.map((v) => gitCacheKey({ ...base, ...v }))]);
    assert.equal(keys.size, variants.length + 1);
  });
});

describe('GC roots as proof of validity', () => {
  it('holds when every path is the target of one of the build roots, and not otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-roots-'));
    try {
      const roots = join(dir, 'b1');
      mkdirSync(roots);
      symlinkSync('/nix/store/aaa-out', join(roots, 'result'));
      symlinkSync('/nix/store/bbb-dev', join(roots, 'result-2'));
      writeFileSync(join(roots, 'note'), 'not a link');
      assert.equal(await rootedByBuild(roots, ['/nix/store/aaa-out', '/nix/store/bbb-dev']), true);
      assert.equal(await rootedByBuild(roots, ['/nix/store/aaa-out', '/nix/store/ccc']), false);
      assert.equal(await rootedByBuild(join(dir, 'missing'), ['/nix/store/aaa-out']), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cloning the submitted commit', () => {
  const sha = 'c'.repeat(40);
  const build = {
    id: 'b1',
    source: { kind: 'git', url: 'https://h/x.git' },
    commit: { sha, branch: 'main', author: '', authorEmail: '', date: '', subject: '' },
    secrets: null,
    env: {},
    system: null,
  } as unknown as BuildRecord; // only the fields the clone reads

  function fakeGit(branchHead: string): { port: GitPort; clones: (string | undefined)[] } {
    const clones: (string | undefined)[] = [];
    const port: GitPort = {
      lsRemote: () => Promise.reject(new Error('not used')),
      clone: (_url, ref, dir) => {
        clones.push(ref);
        mkdirSync(dir, { recursive: true });
        return Promise.resolve({ commit: ref === 'main' ? branchHead : (ref ?? '') });
      },
      commitInfo: () =>
        Promise.resolve({
          sha,
          author: 'A',
          authorEmail: 'a@b',
          date: '2024-01-01T00:00:00+00:00',
          subject: 's',
        }),
    };
    return { port, clones };
  }

  async function cloneWith(port: GitPort): Promise<void> {
    const workspace = mkdtempSync(join(tmpdir(), 'kiln-ws-'));
    try {
      const preparer = new GitBuildPreparer(
        { git: port, policy: { allowLocal: false }, depth: 1, seal: { seal: () => '', open: () => ({}) } },
        { instantiate: () => Promise.resolve([]) },
        workspace,
      );
      const commit = await preparer.clone(build, new AbortController().signal, () => undefined);
      assert.equal(commit.branch, 'main');
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  }

  it('clones the branch when it still points to the commit', async () => {
    const git = fakeGit(sha);
    await cloneWith(git.port);
    assert.deepEqual(git.clones, ['main']);
  });

  it('fetches the commit itself when the branch moved on', async () => {
    const git = fakeGit('d'.repeat(40));
    await cloneWith(git.port);
    assert.deepEqual(git.clones, ['main', sha]);
  });
});
