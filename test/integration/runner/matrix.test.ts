import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { planMatrix } from '../../../src/builds/index.js';
import {
  derivationInputs,
  evaluateMatrix,
  type MatrixEvaluation,
  type MatrixSource,
  type NixRunner,
} from '../../../src/runner/nix/index.js';
import { git, makeRepo } from '../../helpers/git-repos.js';
import { nonce } from './helpers.js';
import { makeRunner } from './nix.js';

const X = 'x86_64-linux';
const I = 'i686-linux';
const DARWIN = 'aarch64-darwin';

/** A flake without nixpkgs: busybox derivations, a check on a package, a throw, a type error. */
function flakeSource(tag: string, extra = ''): string {
  return `{
  outputs = { self }: let
    mk = system: name: script: derivation {
      inherit name system; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; tag = "${tag}";
      args = [ "-c" script ];
    };
    forSystem = system: rec {
      hello = mk system "hello" "echo hello > $out";
      test = mk system "test" "grep hello \${hello} > $out";
    };
    x = forSystem "${X}"; i = forSystem "${I}"; d = forSystem "${DARWIN}";
  in {
    packages.${X} = { inherit (x) hello; default = x.hello; thrown = throw "thrown is not packaged"; ${extra} };
    packages.${I} = { inherit (i) hello; };
    packages.${DARWIN} = { inherit (d) hello; };
    checks.${X}.test = x.test;
    devShells.${X}.default = mk "${X}" "shell" "echo > $out";
  };
}
`;
}

/** A real repository, cloned shallow as kiln's workers do; the reference GitBuildPreparer uses. */
function flakeRepo(dir: string, flake: string): MatrixSource {
  const [sha] = makeRepo(join(dir, 'work'), [
    {
      subject: 'flake',
      author: 'A',
      email: 'a@example.org',
      date: '2024-01-01T00:00:00+00:00',
      files: { 'flake.nix': flake },
    },
  ]) as [string];
  git(dir, ['clone', '--quiet', '--depth', '1', `file://${join(dir, 'work')}`, join(dir, 'src')]);
  return { kind: 'flake', ref: `git+file://${join(dir, 'src')}?rev=${sha}&shallow=1` };
}

function byPath(evaluation: MatrixEvaluation): Map<string, MatrixEvaluation['jobs'][number]> {
  return new Map(evaluation.jobs.map((j) => [j.attrPath, j]));
}

describe('matrix evaluation of a real flake (real Nix, real git)', () => {
  let dir: string;
  let runner: NixRunner;
  let source: MatrixSource;
  const all = ['packages', 'checks', 'devShells'];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-matrix-'));
    runner = await makeRunner();
    source = flakeRepo(join(dir, 'flake'), flakeSource(nonce()));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists every derivation of packages, checks and devShells with its system and outputs', async () => {
    const evaluation = await evaluateMatrix(runner, {
      source,
      sets: all,
      attrs: [],
      systems: [X, I, DARWIN],
      workDir: join(dir, 'eval-all'),
    });
    assert.deepEqual([...byPath(evaluation).keys()].sort(), [
      `checks.${X}.test`,
      `devShells.${X}.default`,
      `packages.${DARWIN}.hello`,
      `packages.${I}.hello`,
      `packages.${X}.default`,
      `packages.${X}.hello`,
    ]);
    const jobs = byPath(evaluation);
    assert.equal(jobs.get(`packages.${I}.hello`)?.system, I);
    assert.equal(jobs.get(`packages.${DARWIN}.hello`)?.system, DARWIN, 'other systems are evaluated too');
    assert.equal(jobs.get(`packages.${X}.default`)?.drvPath, jobs.get(`packages.${X}.hello`)?.drvPath);
    // The .drv files were really written (read-write evaluation): Nix can query them.
    const hello = jobs.get(`packages.${X}.hello`)!;
    const out = execFileSync('nix-store', ['--query', '--outputs', hello.drvPath], {
      encoding: 'utf8',
    }).trim();
    assert.deepEqual(Object.values(hello.outputs), [out]);
    assert.equal(evaluation.errors.length, 1);
    assert.equal(evaluation.errors[0]!.attrPath, `packages.${X}.thrown`);
    assert.equal(evaluation.errors[0]!.system, X);
    assert.match(evaluation.errors[0]!.message, /thrown is not packaged/);
  });

  it('only the chosen sets and systems', async () => {
    const evaluation = await evaluateMatrix(runner, {
      source,
      sets: ['checks', 'devShells'],
      attrs: [],
      systems: [X],
      workDir: join(dir, 'eval-subset'),
    });
    assert.deepEqual([...byPath(evaluation).keys()].sort(), [`checks.${X}.test`, `devShells.${X}.default`]);
    assert.deepEqual(evaluation.errors, []);
  });

  it('gives the closures the plan needs: the check waits for the package', async () => {
    const evaluation = await evaluateMatrix(runner, {
      source,
      sets: all,
      attrs: [],
      systems: [X],
      workDir: join(dir, 'eval-plan'),
    });
    const inputs = await derivationInputs(
      runner,
      evaluation.jobs.map((j) => j.drvPath),
    );
    const plan = planMatrix({
      jobs: evaluation.jobs,
      inputDrvs: inputs,
      cachedPaths: new Set(),
      buildableSystems: [X, I],
    });
    const names = plan.children.map((c) => c.attrPath);
    assert.deepEqual(names, [`packages.${X}.hello`, `devShells.${X}.default`, `checks.${X}.test`]);
    assert.deepEqual(plan.children[0]!.aliases, [`packages.${X}.default`]);
    assert.deepEqual(plan.children[2]!.dependsOn, [0]);
  });

  it('explicit attribute paths: bare names and set.name per system, missing ones as errors', async () => {
    const evaluation = await evaluateMatrix(runner, {
      source,
      sets: [],
      attrs: ['hello', 'checks.test'],
      systems: [X, I],
      workDir: join(dir, 'eval-attrs'),
    });
    assert.deepEqual(
      [...byPath(evaluation).keys()],
      [`packages.${X}.hello`, `packages.${I}.hello`, `checks.${X}.test`],
    );
    assert.deepEqual(
      evaluation.errors.map((e) => [e.attrPath, e.system]),
      [[`checks.${I}.test`, I]],
    );
    assert.match(evaluation.errors[0]!.message, /attribute '.*' of 'checks\.i686-linux\.test' not found/);
  });

  it('a job with an error tryEval cannot catch fails alone; the others are still listed', async () => {
    const typeError = flakeRepo(join(dir, 'type-error'), flakeSource(nonce(), 'bad = 1 + "x";'));
    const evaluation = await evaluateMatrix(runner, {
      source: typeError,
      sets: ['packages'],
      attrs: [],
      systems: [X],
      workDir: join(dir, 'eval-type-error'),
    });
    assert.deepEqual([...byPath(evaluation).keys()].sort(), [`packages.${X}.default`, `packages.${X}.hello`]);
    assert.deepEqual(evaluation.errors.map((e) => e.attrPath).sort(), [
      `packages.${X}.bad`,
      `packages.${X}.thrown`,
    ]);
    assert.match(
      evaluation.errors.find((e) => e.attrPath.endsWith('bad'))!.message,
      /cannot add a string to an integer/,
    );
  });

  it('a flake that does not evaluate at all fails the whole evaluation with Nix message', async () => {
    const broken = flakeRepo(
      join(dir, 'broken'),
      '{ outputs = { self }: { packages = throw "no outputs today"; }; }\n',
    );
    await assert.rejects(
      evaluateMatrix(runner, {
        source: broken,
        sets: all,
        attrs: [],
        systems: [X],
        workDir: join(dir, 'eval-broken'),
      }),
      (error: Error & { code?: string }) =>
        error.code === 'KILN_ERR_EXPR_EVAL' && /no outputs today/.test(error.message),
    );
  });

  it('a default.nix: every derivation (recursing where asked) for each system', async () => {
    const tag = nonce();
    const repo = join(dir, 'plain');
    makeRepo(repo, [
      {
        subject: 'plain',
        author: 'A',
        email: 'a@example.org',
        date: '2024-01-01T00:00:00+00:00',
        files: {
          'default.nix': `{ system ? builtins.currentSystem }:
let mk = name: derivation { inherit name system; builder = "/bin/sh"; PATH = "/usr/bin:/bin"; tag = "${tag}"; args = [ "-c" "echo > $out" ]; };
in { hello = mk "hello"; tools = { recurseForDerivations = true; a = mk "a"; }; hidden = { b = mk "b"; }; n = 3; }
`,
        },
      },
    ]);
    const evaluation = await evaluateMatrix(runner, {
      source: { kind: 'file', file: join(repo, 'default.nix') },
      sets: all,
      attrs: [],
      systems: [X, I],
      workDir: join(dir, 'eval-plain'),
    });
    assert.deepEqual(
      evaluation.jobs.map((j) => [j.attrPath, j.system]),
      [
        ['hello', X],
        ['tools.a', X],
        ['hello', I],
        ['tools.a', I],
      ],
    );
    assert.deepEqual(evaluation.errors, []);
    const explicit = await evaluateMatrix(runner, {
      source: { kind: 'file', file: join(repo, 'default.nix') },
      sets: [],
      attrs: ['hidden.b'],
      systems: [I],
      workDir: join(dir, 'eval-plain-attrs'),
    });
    assert.deepEqual(
      explicit.jobs.map((j) => [j.attrPath, j.system]),
      [['hidden.b', I]],
    );
  });
});
