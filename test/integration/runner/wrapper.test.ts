import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSupervised } from '../../../src/process/index.js';
import { buildEnv } from '../../../src/runner/nix/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { BIN_DIR, drv, makeRunner, writeExpr } from './nix.js';
import { nonce } from './helpers.js';

/** What plain `nix-instantiate FILE [-A attr]` prints: the reference the wrapper must match. */
async function plainInstantiate(file: string, attr?: string): Promise<string[]> {
  const out: string[] = [];
  const result = await runSupervised({
    command: join(BIN_DIR, 'nix-instantiate'),
    args: [...(attr ? ['-A', attr] : []), file],
    env: buildEnv({ binDir: BIN_DIR, home: '/root' }),
    onStdoutLine: (l) => out.push(l),
    onStderrLine: () => undefined,
  });
  assert.equal(result.exitCode, 0);
  return out;
}

const shapes = (n: string): [string, string, string | undefined][] => {
  const d = (name: string, extra = '') =>
    drv(`kiln-wr-${name}-${n}`, 'echo "[$NODE_ENV]" > $out', { nonce: n, extra });
  return [
    ['a single derivation', d('single'), undefined],
    ['a function with defaults', `{ suffix ? "x" }: ${d('fn')}`, undefined],
    [
      'an attribute set with non-derivations and a nested set',
      `{ a = ${d('a')}; s = "text"; n = 1; nested = { recurseForDerivations = true; inner = ${d('inner')}; }; plain = { hidden = ${d('hidden')}; }; }`,
      undefined,
    ],
    ['a list', `[ (${d('l1')}) (${d('l2')}) ]`, undefined],
    [
      'a multi-output derivation, selected output',
      `{ pkg = ${d('multi', 'outputs = [ "out" "dev" ];')}; }`,
      'pkg.dev',
    ],
    ['a selection through a function and a list', `{ ... }: { xs = [ 1 (${d('sel')}) ]; }`, 'xs.1'],
  ];
};

describe('the evaluation wrapper against the real Nix', () => {
  for (const [label, index] of [
    ['a single derivation', 0],
    ['a function with defaults', 1],
    ['an attribute set', 2],
    ['a list', 3],
    ['a selected output', 4],
    ['a selection through a function and a list', 5],
  ] as const) {
    it(`with an empty environment yields the user's own .drv paths: ${label}`, async (t) => {
      const dir = tempDir(t);
      const [, source, attr] = shapes(nonce())[index] ?? assert.fail('no such shape');
      const file = writeExpr(dir, source);
      const runner = await makeRunner();
      const viaWrapper = await runner.instantiate({ file, attr, env: {}, workDir: join(dir, 'work') });
      assert.deepEqual(viaWrapper, await plainInstantiate(file, attr));
    });
  }

  it('with an environment changes every top-level derivation, and the builders see the variables', async (t) => {
    const dir = tempDir(t);
    const [, source] = shapes(nonce())[2] ?? assert.fail('no such shape');
    const file = writeExpr(dir, source);
    const runner = await makeRunner();
    const plain = await plainInstantiate(file);
    const injected = await runner.instantiate({ file, env: { NODE_ENV: 'staging ${x} "q"' }, workDir: dir });
    assert.equal(injected.length, plain.length);
    assert.ok(injected.every((p) => !plain.includes(p)));
    const result = await runner.realise({ drvPaths: injected, timeoutSeconds: 60, maxSilentSeconds: 0 });
    assert.equal(result.status, 'succeeded');
    for (const out of result.outputs) assert.equal(readFileSync(out, 'utf8'), '[staging ${x} "q"]\n');
  });

  it('keeps the selected output and passthru attributes when injecting', async (t) => {
    const dir = tempDir(t);
    const n = nonce();
    const multi = drv(`kiln-wr-out-${n}`, 'echo "$NODE_ENV" > $out; echo "dev $NODE_ENV" > $dev', {
      nonce: n,
      extra: 'outputs = [ "out" "dev" ];',
    });
    const file = writeExpr(dir, `{ pkg = (${multi}) // { passthru = 1; }; }`);
    const runner = await makeRunner();
    const [drvPath] = await runner.instantiate({
      file,
      attr: 'pkg.dev',
      env: { NODE_ENV: 'prod' },
      workDir: dir,
    });
    assert.match(drvPath ?? '', /\.drv!dev$/);
    const result = await runner.realise({
      drvPaths: [drvPath ?? ''],
      timeoutSeconds: 60,
      maxSilentSeconds: 0,
    });
    assert.equal(result.status, 'succeeded');
    assert.equal(readFileSync(result.outputs[0] ?? '', 'utf8'), 'dev prod\n');
  });

  it('reports a missing attribute in the selection path', async (t) => {
    const dir = tempDir(t);
    const file = writeExpr(dir, '{ a = 1; }');
    const runner = await makeRunner();
    await assert.rejects(
      runner.instantiate({ file, attr: 'a.b', env: {}, workDir: dir }),
      /attribute 'b' in selection path 'a\.b' not found/,
    );
  });
});

describe('the wrapper files', () => {
  it('never overwrite a user file of the same name in the work directory', async (t) => {
    const dir = tempDir(t);
    const n = nonce();
    const source = drv(`kiln-wr-clash-${n}`, 'echo > $out', { nonce: n });
    const file = writeExpr(dir, source, 'kiln-eval.nix');
    writeExpr(dir, '{ "mine": true }', 'kiln-eval-args.json');
    const runner = await makeRunner();
    const drvPaths = await runner.instantiate({ file, env: { A: 'b' }, workDir: dir });
    assert.equal(drvPaths.length, 1);
    assert.equal(readFileSync(file, 'utf8'), `${source}\n`);
    assert.equal(readFileSync(join(dir, 'kiln-eval-args.json'), 'utf8'), '{ "mine": true }\n');
  });
});
