import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childBuilds, groupStatus, planMatrix, type PlanJob } from '../../../src/builds/index.js';
import type { BuildRecord } from '../../../src/persistence/index.js';
import { matrixAttrPaths, nixStringLiteral } from '../../../src/runner/nix/index.js';

const X = 'x86_64-linux';
const I = 'i686-linux';

function job(
  attrPath: string,
  drv: string,
  system = X,
  outputs: Record<string, string> = { out: `/o/${drv}` },
): PlanJob {
  return { attrPath, drvPath: `/d/${drv}.drv`, system, outputs };
}

function graph(edges: Record<string, string[]>): Map<string, string[]> {
  return new Map(Object.entries(edges).map(([k, v]) => [`/d/${k}.drv`, v.map((d) => `/d/${d}.drv`)]));
}

function plan(
  jobs: PlanJob[],
  edges: Record<string, string[]> = {},
  cached: string[] = [],
  systems = [X, I],
) {
  return planMatrix({
    jobs,
    inputDrvs: graph(edges),
    cachedPaths: new Set(cached),
    buildableSystems: systems,
  });
}

/** Each child's attribute path with the attribute paths of the children it waits for. */
function waits(result: ReturnType<typeof plan>): Record<string, string[]> {
  return Object.fromEntries(
    result.children.map((c) => [c.attrPath, c.dependsOn.map((d) => result.children[d]!.attrPath)]),
  );
}

describe('planMatrix', () => {
  it('makes one child per derivation, with no dependencies between independent ones', () => {
    const result = plan([job('packages.x.a', 'a'), job('packages.x.b', 'b')]);
    assert.deepEqual(waits(result), { 'packages.x.a': [], 'packages.x.b': [] });
    assert.deepEqual(result.unsupported, []);
    assert.deepEqual(
      result.children.map((c) => [c.drvPath, c.outputs, c.cached]),
      [
        ['/d/a.drv', ['/o/a'], false],
        ['/d/b.drv', ['/o/b'], false],
      ],
    );
  });

  it('makes a check wait for the package in its closure and puts the package first', () => {
    const result = plan([job('checks.x.test', 'test'), job('packages.x.hello', 'hello')], {
      test: ['hello'],
    });
    assert.deepEqual(
      result.children.map((c) => c.attrPath),
      ['packages.x.hello', 'checks.x.test'],
    );
    assert.deepEqual(waits(result), { 'packages.x.hello': [], 'checks.x.test': ['packages.x.hello'] });
  });

  it('follows a chain through derivations that are not jobs, and lists every job in the closure', () => {
    // top -> mid (a job) -> hidden (not a job) -> base (a job)
    const result = plan([job('c.top', 'top'), job('b.mid', 'mid'), job('a.base', 'base')], {
      top: ['mid'],
      mid: ['hidden'],
      hidden: ['base'],
    });
    assert.deepEqual(
      result.children.map((c) => c.attrPath),
      ['a.base', 'b.mid', 'c.top'],
    );
    assert.deepEqual(waits(result), { 'a.base': [], 'b.mid': ['a.base'], 'c.top': ['a.base', 'b.mid'] });
  });

  it('handles a diamond: the shared base once, both sides after it, the top after all three', () => {
    const result = plan(
      [job('top', 'top'), job('left', 'left'), job('right', 'right'), job('base', 'base')],
      {
        top: ['left', 'right'],
        left: ['base'],
        right: ['base'],
      },
    );
    assert.equal(result.children[0]!.attrPath, 'base');
    assert.equal(result.children[3]!.attrPath, 'top');
    assert.deepEqual(waits(result), {
      base: [],
      left: ['base'],
      right: ['base'],
      top: ['left', 'right', 'base'].sort((a, b) => indexIn(result, a) - indexIn(result, b)),
    });
  });

  it('builds a derivation reached by several attribute paths once, named by the descriptive one', () => {
    const result = plan(
      [job('packages.x.default', 'hello'), job('packages.x.hello', 'hello'), job('checks.x.test', 'test')],
      { test: ['hello'] },
    );
    assert.equal(result.children.length, 2);
    const hello = result.children[0]!;
    assert.deepEqual([hello.attrPath, hello.aliases], ['packages.x.hello', ['packages.x.default']]);
    assert.deepEqual(waits(result), { 'packages.x.hello': [], 'checks.x.test': ['packages.x.hello'] });
  });

  it('keeps the first path when none or all of them end in default', () => {
    const twoNames = plan([job('packages.x.b', 'same'), job('packages.x.a', 'same')]);
    assert.deepEqual(
      [twoNames.children[0]!.attrPath, twoNames.children[0]!.aliases],
      ['packages.x.b', ['packages.x.a']],
    );
    const twoDefaults = plan([job('packages.x.default', 'same'), job('devShells.x.default', 'same')]);
    assert.equal(twoDefaults.children[0]!.attrPath, 'packages.x.default');
    const duplicate = plan([job('packages.x.a', 'same'), job('packages.x.a', 'same')]);
    assert.deepEqual(duplicate.children[0]!.aliases, []);
  });

  it('marks a child cached only when every output is in the cache', () => {
    const result = plan(
      [
        job('all', 'all', X, { out: '/o/all', dev: '/o/all-dev' }),
        job('some', 'some', X, { out: '/o/some', dev: '/o/some-dev' }),
        job('none', 'none'),
      ],
      {},
      ['/o/all', '/o/all-dev', '/o/some'],
    );
    assert.deepEqual(
      result.children.map((c) => [c.attrPath, c.cached, c.outputs]),
      [
        ['all', true, ['/o/all-dev', '/o/all']],
        ['some', false, ['/o/some-dev', '/o/some']],
        ['none', false, ['/o/none']],
      ],
    );
  });

  it('keeps a cached dependency as a dependency (it succeeded already, so it does not hold anyone)', () => {
    const result = plan([job('lib', 'lib'), job('app', 'app')], { app: ['lib'] }, ['/o/lib']);
    assert.deepEqual(waits(result), { lib: [], app: ['lib'] });
    assert.equal(result.children[0]!.cached, true);
  });

  it('reports jobs for systems this machine does not build instead of queueing them', () => {
    const result = plan(
      [
        job('packages.x.a', 'a'),
        job('packages.darwin.a', 'da', 'aarch64-darwin'),
        job('fetch', 'f', 'builtin'),
      ],
      {},
      [],
      [X],
    );
    assert.deepEqual(
      result.children.map((c) => c.attrPath),
      ['packages.x.a', 'fetch'],
    );
    assert.deepEqual(result.unsupported, [
      { attrPath: 'packages.darwin.a', system: 'aarch64-darwin', drvPath: '/d/da.drv' },
    ]);
  });

  it('does not make a child wait for an unsupported sibling', () => {
    const result = plan([job('a', 'a'), job('b', 'b', 'aarch64-darwin')], { a: ['b'] }, [], [X]);
    assert.deepEqual(waits(result), { a: [] });
  });

  it('survives a cycle in the input graph (Nix never makes one) without losing children', () => {
    const result = plan([job('a', 'a'), job('b', 'b')], { a: ['b'], b: ['a'] });
    assert.deepEqual(result.children.map((c) => c.attrPath).sort(), ['a', 'b']);
  });

  it('plans nothing for no jobs', () => {
    assert.deepEqual(plan([]), { children: [], unsupported: [] });
  });
});

function indexIn(result: ReturnType<typeof plan>, attrPath: string): number {
  return result.children.findIndex((c) => c.attrPath === attrPath);
}

describe('matrixAttrPaths', () => {
  it('expands bare names and set.name per system and keeps full paths once', () => {
    assert.deepEqual(
      matrixAttrPaths('flake', ['hello', 'checks.test', 'packages.x86_64-linux.hi', 'hydraJobs.a'], [X, I]),
      [
        ['packages', X, 'hello'],
        ['packages', I, 'hello'],
        ['checks', X, 'test'],
        ['checks', I, 'test'],
        ['packages', X, 'hi'],
        ['hydraJobs', 'a'],
      ],
    );
  });

  it('takes -A paths of a default.nix as written, each once', () => {
    assert.deepEqual(matrixAttrPaths('file', ['hello', 'tools.a', 'hello'], [X, I]), [
      ['hello'],
      ['tools', 'a'],
    ]);
  });

  it('refuses empty segments', () => {
    assert.throws(() => matrixAttrPaths('flake', ['a..b'], [X]), /invalid attribute path/);
  });
});

describe('nixStringLiteral', () => {
  it('escapes quotes, backslashes and interpolation', () => {
    assert.equal(nixStringLiteral('/tmp/a b/x.nix'), '"/tmp/a b/x.nix"');
    assert.equal(nixStringLiteral('a"b\\c${d}'), '"a\\"b\\\\c\\${d}"');
  });
});

describe('childBuilds', () => {
  const parent = {
    id: 'parent',
    seq: 7,
    source: {
      kind: 'git',
      url: 'https://example.org/r.git',
      ref: 'main',
      matrix: { sets: ['packages'], attrs: [], systems: [X] },
    },
    env: { A: 'b' },
    groupId: 'parent',
    serviceId: 'svc',
    labels: { team: 'x' },
    priority: 3,
    timeoutSeconds: 60,
    maxSilentSeconds: 30,
    pushCache: 'builds',
    projectId: 'proj',
    trigger: { kind: 'push', actor: 'ada' },
    concurrencyKey: 'proj/main',
    runSeq: null,
    imageRef: 'registry/x:1',
    deployHook: 'https://hook',
  } as unknown as BuildRecord;
  const commit = {
    sha: 'a'.repeat(40),
    branch: 'main',
    author: 'A',
    authorEmail: 'a@b',
    date: '',
    subject: 's',
  };

  it('inherits the run and makes dependencies, cached results and evaluation failures records', () => {
    const result = plan([job('packages.x.lib', 'lib'), job('packages.x.app', 'app')], { app: ['lib'] }, [
      '/o/lib',
    ]);
    const children = childBuilds(
      parent,
      commit,
      result,
      [{ attrPath: 'packages.x.bad', system: X, message: 'boom' }],
      1000,
    );
    assert.equal(children.length, 3);
    const [lib, app, bad] = children as [(typeof children)[0], (typeof children)[0], (typeof children)[0]];
    for (const child of children) {
      assert.equal(child.groupId, 'parent');
      assert.equal(child.runSeq, 7);
      assert.equal(child.concurrencyKey, 'proj/main');
      assert.equal(child.projectId, 'proj');
      assert.deepEqual(child.trigger, { kind: 'push', actor: 'ada' });
      assert.equal(child.pushCache, 'builds');
      assert.equal(child.commit, commit);
      assert.deepEqual([child.priority, child.timeoutSeconds, child.maxSilentSeconds], [3, 60, 30]);
      assert.deepEqual(child.labels, { team: 'x' });
      assert.equal(child.imageRef, undefined, 'no image per child');
      assert.equal(child.deployHook, undefined, 'no deploy hook per child');
      assert.deepEqual(child.env, {});
      assert.equal(child.source.kind === 'git' && child.source.matrix, undefined);
    }
    assert.deepEqual(lib.source, {
      kind: 'git',
      url: 'https://example.org/r.git',
      ref: 'main',
      matrix: undefined,
      attr: 'packages.x.lib',
    });
    assert.deepEqual(
      [lib.status, lib.cached, lib.outputs, lib.reason, lib.finishedAt],
      ['succeeded', true, ['/o/lib'], 'in-cache', 1000],
    );
    assert.deepEqual([app.status, app.drvPaths, app.dependsOn], [undefined, ['/d/app.drv'], [lib.id]]);
    assert.deepEqual(
      [bad.status, bad.reason, bad.attrPath, bad.drvPaths],
      ['failed', 'eval-failed', 'packages.x.bad', []],
    );
    assert.equal(new Set(children.map((c) => c.id)).size, 3);
  });

  it('continues the run order the parent already has', () => {
    const children = childBuilds({ ...parent, runSeq: 2 }, commit, plan([job('a', 'a')]), [], 1);
    assert.equal(children[0]!.runSeq, 2);
  });
});

describe('groupStatus', () => {
  const of = (...statuses: string[]) => groupStatus(statuses.map((status) => ({ status })));

  it('is failed as soon as one build failed, timed out or lost a dependency, even while others run', () => {
    assert.equal(of('succeeded', 'failed'), 'failed');
    assert.equal(of('running', 'timed_out'), 'failed');
    assert.equal(of('pending', 'dependency_failed', 'cancelled'), 'failed');
  });

  it('is running while anything runs or some builds finished and others wait', () => {
    assert.equal(of('succeeded', 'running'), 'running');
    assert.equal(of('succeeded', 'pending'), 'running');
    assert.equal(of('pending', 'running'), 'running');
  });

  it('is pending when nothing started, cancelled when stopped without failures, else succeeded', () => {
    assert.equal(of('pending', 'pending'), 'pending');
    assert.equal(of('succeeded', 'cancelled'), 'cancelled');
    assert.equal(of('superseded'), 'cancelled');
    assert.equal(of('succeeded', 'succeeded'), 'succeeded');
    assert.equal(of(), 'succeeded');
  });
});
