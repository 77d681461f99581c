import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { groupStatus, MatrixSteps } from '../../src/builds/index.js';
import type { BuildRecord } from '../../src/persistence/index.js';
import { makeRepo } from '../helpers/git-repos.js';
import { startTestApp, type TestApp } from '../helpers/kiln-app.js';
import { nonce, waitFor } from '../helpers/nix.js';
import { tempDir } from '../helpers/tmp.js';
import { nixCopyTo, writeNetrc } from '../helpers/warehouse.js';

const X = 'x86_64-linux';
const I = 'i686-linux';
const DARWIN = 'aarch64-darwin';

/**
 * A flake without nixpkgs. x86_64-linux: hello (also `default`), a library and an app on it, a
 * package that fails, a check on hello and one on the failing package, a package that throws, a
 * devShell; i686-linux and aarch64-darwin: hello.
 */
function flake(tag: string): string {
  return `{
  outputs = { self }: let
    mk = system: name: script: derivation {
      inherit name system; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; tag = "${tag}";
      args = [ "-c" script ];
    };
    helloFor = system: mk system "hello" "echo hello from \${system} > $out";
    x = rec {
      hello = helloFor "${X}";
      lib = mk "${X}" "lib" "echo lib > $out";
      app = mk "${X}" "app" "cat \${lib} > $out";
      broken = mk "${X}" "broken" "echo failing on purpose; exit 3";
    };
  in {
    packages.${X} = {
      inherit (x) hello lib app broken;
      default = x.hello;
      thrown = throw "thrown is not packaged yet";
    };
    packages.${I}.hello = helloFor "${I}";
    packages.${DARWIN}.hello = helloFor "${DARWIN}";
    checks.${X} = {
      greets = mk "${X}" "greets" "grep hello \${x.hello} > $out";
      uses-broken = mk "${X}" "uses-broken" "cat \${x.broken} > $out";
    };
    devShells.${X}.default = mk "${X}" "shell" "echo shell > $out";
  };
}
`;
}

const MATRIX = { sets: ['packages', 'checks', 'devShells'] as const, attrs: [], systems: [X, I, DARWIN] };

async function submitMatrix(app: TestApp, url: string, push?: string): Promise<BuildRecord> {
  const [parent] = await app.kiln.builds.submit({
    source: { kind: 'git', url, ref: 'main', matrix: { ...MATRIX, sets: [...MATRIX.sets] } },
    ...(push !== undefined && { push }),
  });
  assert.ok(parent);
  return parent;
}

/** The parent once finished, and its children by attribute path once all of them are. */
async function finishedGroup(
  app: TestApp,
  parentId: string,
): Promise<{ parent: BuildRecord; children: Map<string, BuildRecord> }> {
  return waitFor(
    async () => {
      const group = await app.kiln.store.builds.list({ groupId: parentId, limit: 100 });
      const parent = group.find((b) => b.id === parentId);
      const children = group.filter((b) => b.id !== parentId);
      if (!parent || parent.finishedAt === null) return undefined;
      if (parent.status !== 'succeeded') return { parent, children: new Map() };
      if (children.length === 0 || children.some((c) => c.finishedAt === null)) return undefined;
      return { parent, children: new Map(children.map((c) => [c.attrPath ?? c.id, c])) };
    },
    { timeoutMs: 180_000, what: `matrix ${parentId} to finish` },
  );
}

async function logText(app: TestApp, id: string): Promise<string> {
  return (await app.kiln.store.logs.read(id, 0, 10_000)).map((l) => l.text).join('\n');
}

function statuses(children: Map<string, BuildRecord>): Record<string, string> {
  return Object.fromEntries(
    [...children].map(([path, c]) => [path, `${c.status}${c.cached ? ' (cached)' : ''}`]),
  );
}

describe('all outputs of a flake as one build group (real kiln, Nix, git, warehouse)', () => {
  it('builds each derivation once, orders dependencies, fails dependents, and skips what the cache has', async (t) => {
    const app = await startTestApp(t, { git: { allowLocal: true } });
    const dir = tempDir(t, 'kiln-e2e-matrix-');
    const repo = join(dir, 'repo');
    makeRepo(repo, [
      {
        subject: 'A flake with everything',
        author: 'Ada Lovelace',
        email: 'ada@example.org',
        date: '2024-03-01T10:00:00+00:00',
        files: { 'flake.nix': flake(nonce()) },
      },
    ]);
    const url = `file://${repo}`;

    await t.test('first run: one child per derivation, each ending as it should', async () => {
      const submitted = await submitMatrix(app, url);
      assert.equal(submitted.groupId, submitted.id);
      const { parent, children } = await finishedGroup(app, submitted.id);
      assert.equal(parent.status, 'succeeded', parent.error ?? '');
      assert.deepEqual(parent.outputs, []);
      assert.deepEqual(statuses(children), {
        [`packages.${X}.hello`]: 'succeeded',
        [`packages.${X}.lib`]: 'succeeded',
        [`packages.${X}.app`]: 'succeeded',
        [`packages.${X}.broken`]: 'failed',
        [`packages.${X}.thrown`]: 'failed',
        [`packages.${I}.hello`]: 'succeeded',
        [`checks.${X}.greets`]: 'succeeded',
        [`checks.${X}.uses-broken`]: 'dependency_failed',
        [`devShells.${X}.default`]: 'succeeded',
      });
      const hello = children.get(`packages.${X}.hello`)!;
      const lib = children.get(`packages.${X}.lib`)!;
      const broken = children.get(`packages.${X}.broken`)!;
      assert.deepEqual(children.get(`checks.${X}.greets`)!.dependsOn, [hello.id]);
      assert.deepEqual(children.get(`packages.${X}.app`)!.dependsOn, [lib.id]);
      assert.deepEqual(children.get(`checks.${X}.uses-broken`)!.dependsOn, [broken.id]);
      assert.equal(children.get(`checks.${X}.uses-broken`)!.attempts, 0, 'never ran');
      assert.equal(children.get(`packages.${I}.hello`)!.system, I);
      assert.match(children.get(`packages.${X}.thrown`)!.error ?? '', /thrown is not packaged yet/);
      assert.equal(children.get(`packages.${X}.thrown`)!.reason, 'eval-failed');
      for (const child of children.values()) {
        assert.equal(child.groupId, parent.id);
        assert.equal(child.commit?.sha, parent.commit?.sha);
        assert.equal(child.source.kind === 'git' && child.source.attr, child.attrPath);
      }
      // The dependency finished before the check that needs it started.
      assert.ok((hello.finishedAt ?? Infinity) <= (children.get(`checks.${X}.greets`)!.startedAt ?? 0));
      const steps = await app.kiln.store.steps.list(parent.id);
      assert.deepEqual(
        steps.map((s) => [s.name, s.status]),
        [
          ['clone', 'succeeded'],
          ['eval', 'succeeded'],
        ],
      );
      assert.match(steps[1]!.detail ?? '', /^9 child build\(s\): 0 cached, 1 failed to evaluate, 1 skipped/);
      const log = await logText(app, parent.id);
      assert.match(
        log,
        new RegExp(
          `packages\\.${X}\\.hello \\(${X}\\) builds as ${hello.id}; also packages\\.${X}\\.default`,
        ),
      );
      assert.match(
        log,
        new RegExp(`packages\\.${DARWIN}\\.hello is for ${DARWIN}, which this server does not build`),
      );
      assert.match(await logText(app, broken.id), /failing on purpose/);
      assert.equal(groupStatus([...children.values()]), 'failed');

      // A parent run again (its worker crashed after the insert) does not queue the matrix twice.
      const again = new MatrixSteps({
        store: app.kiln.store,
        nix: app.kiln.runner,
        workspaceDir: app.kiln.config.builds.workspaceDir,
        buildableSystems: [X, I],
        logCapBytes: 1 << 20,
        clock: Date.now,
      });
      const lines: string[] = [];
      const expansion = await again.expand(parent, parent.commit!, new AbortController().signal, (line) =>
        lines.push(line),
      );
      assert.deepEqual(expansion.inserted, []);
      assert.match(lines.join('\n'), /an earlier attempt created this matrix's 9 child build\(s\)/);
      assert.equal((await app.kiln.store.builds.list({ groupId: parent.id, limit: 100 })).length, 10);
    });

    await t.test(
      'second run: outputs already in the push cache are reported cached, the rest build and push',
      async () => {
        await app.kiln.warehouse.createCache({ name: 'matrix' });
        const { token } = await app.kiln.warehouse.createToken({ cache: 'matrix', perm: 'push' });
        const address = await app.app.listen({ port: 0, host: '127.0.0.1' });
        const first = (await app.kiln.store.builds.list({ limit: 100 })).filter(
          (b) => b.attrPath === `packages.${X}.hello` || b.attrPath === `devShells.${X}.default`,
        );
        assert.equal(first.length, 2);
        const copied = await nixCopyTo(
          `${address}/cache/matrix`,
          first.flatMap((b) => b.outputs),
          writeNetrc(dir, token),
        );
        assert.equal(copied.code, 0, copied.stderr);

        const submitted = await submitMatrix(app, url, 'matrix');
        const { parent, children } = await finishedGroup(app, submitted.id);
        assert.equal(parent.status, 'succeeded', parent.error ?? '');
        assert.deepEqual(statuses(children), {
          [`packages.${X}.hello`]: 'succeeded (cached)',
          [`packages.${X}.lib`]: 'succeeded',
          [`packages.${X}.app`]: 'succeeded',
          [`packages.${X}.broken`]: 'failed',
          [`packages.${X}.thrown`]: 'failed',
          [`packages.${I}.hello`]: 'succeeded',
          [`checks.${X}.greets`]: 'succeeded',
          [`checks.${X}.uses-broken`]: 'dependency_failed',
          [`devShells.${X}.default`]: 'succeeded (cached)',
        });
        const hello = children.get(`packages.${X}.hello`)!;
        assert.equal(hello.reason, 'in-cache');
        assert.equal(hello.attempts, 0, 'a cached child never runs');
        assert.deepEqual(hello.outputs, first.find((b) => b.attrPath === hello.attrPath)!.outputs);
        // What was not in the cache was built and pushed there by its child.
        const lib = children.get(`packages.${X}.lib`)!;
        assert.deepEqual(lib.pushed, lib.outputs);
        const missing = await app.kiln.warehouse.missingPaths(
          'matrix',
          [...lib.outputs, ...hello.outputs].map((p) =>
            p.slice('/nix/store/'.length, '/nix/store/'.length + 32),
          ),
        );
        assert.deepEqual(missing, []);
        assert.match(steps(await app.kiln.store.steps.list(parent.id)), /2 cached/);
      },
    );
  });
});

function steps(list: { name: string; detail: string | null }[]): string {
  return list.map((s) => `${s.name}: ${s.detail ?? ''}`).join('\n');
}
