import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { KilnError } from '../../../src/errors/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { nonce } from './helpers.js';
import { makeRunner } from './nix.js';

function submission(root: string, name: string, source: string): { file: string; workDir: string } {
  const workDir = join(root, name);
  mkdirSync(workDir, { recursive: true });
  const file = join(workDir, 'default.nix');
  writeFileSync(file, source);
  return { file, workDir };
}

const drv = (name: string, extra = ''): string =>
  `derivation { name = "${name}"; system = builtins.currentSystem; builder = "/bin/sh"; nonce = "${nonce()}"; args = [ "-c" "echo $V > $out" ]; ${extra} }`;

describe('batched evaluation', () => {
  it('gives every submission the same .drv paths as evaluating it alone', async (t) => {
    const runner = await makeRunner();
    const root = tempDir(t);
    const items: { file: string; workDir: string; env: Record<string, string> }[] = [
      { ...submission(root, 'a', drv('batch-a')), env: {} },
      { ...submission(root, 'b', `{ x = ${drv('batch-b1')}; y = ${drv('batch-b2')}; }`), env: {} },
      { ...submission(root, 'c', drv('batch-c')), env: { V: 'injected' } },
      { ...submission(root, 'd', drv('batch-a')), env: {} },
    ];
    // d is textually different (own nonce) from a; make one exact duplicate of a as well.
    writeFileSync(items[3]!.file, readFileSync(items[0]!.file));
    const batched = await runner.instantiateMany(items);
    const alone = await Promise.all(items.map((item) => runner.instantiate(item)));
    assert.deepEqual(
      batched.map((r) => (r.status === 'fulfilled' ? r.value : [])),
      alone,
    );
    assert.equal(alone[1]!.length, 2);
    assert.deepEqual(alone[3], alone[0]);
  });

  it('keeps the verdicts apart when one member fails to evaluate', async (t) => {
    const runner = await makeRunner();
    const root = tempDir(t);
    const good = { ...submission(root, 'good', drv('batch-good')), env: {} };
    const bad = { ...submission(root, 'bad', 'builtins.throw "broken on purpose"'), env: {} };
    const results = await runner.instantiateMany([good, bad, { ...good }]);
    assert.equal(results[0]!.status, 'fulfilled');
    assert.equal(results[2]!.status, 'fulfilled');
    assert.equal(results[1]!.status, 'rejected');
    const reason = (results[1] as PromiseRejectedResult).reason as KilnError;
    assert.equal(reason.code, 'KILN_ERR_EXPR_EVAL');
    assert.match(reason.message, /broken on purpose/);
  });

  it('groups by system and keeps builtins.currentSystem per submission', async (t) => {
    const runner = await makeRunner();
    const root = tempDir(t);
    const source = drv('batch-sys');
    const x86 = { ...submission(root, 'x', source), env: {}, system: 'x86_64-linux' };
    const i686 = { ...submission(root, 'i', source), env: {}, system: 'i686-linux' };
    const results = await runner.instantiateMany([x86, i686, { ...x86 }]);
    const paths = results.map((r) => (r.status === 'fulfilled' ? r.value[0]! : ''));
    assert.equal(paths[0], paths[2]);
    assert.notEqual(paths[0], paths[1]);
    assert.match(readFileSync(paths[1]!, 'utf8'), /i686-linux/);
  });

  it('parses many files at once and reports each syntax error on its own', async (t) => {
    const runner = await makeRunner();
    const root = tempDir(t);
    const ok = submission(root, 'ok', drv('batch-parse')).file;
    const broken = submission(root, 'broken', 'let x = ; in x').file;
    const results = await runner.parseCheckMany([ok, broken, ok]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(((results[1] as PromiseRejectedResult).reason as KilnError).code, 'KILN_ERR_EXPR_PARSE');
    assert.deepEqual(
      (await runner.parseCheckMany([ok, ok])).map((r) => r.status),
      ['fulfilled', 'fulfilled'],
    );
  });
});

describe('batched closure sizes', () => {
  it('equals the per-build closure size for every set, shared dependencies counted per set', async (t) => {
    const runner = await makeRunner();
    const root = tempDir(t);
    const dep = `derivation { name = "cs-dep"; system = builtins.currentSystem; builder = "/bin/sh"; nonce = "${nonce()}"; args = [ "-c" "echo dependency-content-here > $out" ]; }`;
    const uses = (name: string) =>
      `let d = ${dep}; in derivation { name = "${name}"; system = builtins.currentSystem; builder = "/bin/sh"; nonce = "${nonce()}"; args = [ "-c" "echo \${d} > $out" ]; }`;
    const outputs: string[][] = [];
    for (const name of ['cs-a', 'cs-b', 'cs-lone']) {
      const item = { ...submission(root, name, name === 'cs-lone' ? drv(name) : uses(name)), env: {} };
      const drvPaths = await runner.instantiate(item);
      const result = await runner.realise({ drvPaths, timeoutSeconds: 60, maxSilentSeconds: 0 });
      assert.equal(result.status, 'succeeded');
      outputs.push(result.status === 'succeeded' ? result.outputs : []);
    }
    const batched = await runner.closureSizes(outputs);
    const alone = await Promise.all(outputs.map((o) => runner.closureSize(o)));
    assert.deepEqual(
      batched.map((r) => (r.status === 'fulfilled' ? r.value : -1)),
      alone,
    );
    assert.ok(alone[0]! > alone[2]!, 'a build with a dependency has the larger closure');
  });

  it('reports an invalid path for its own set only', async (t) => {
    const runner = await makeRunner();
    const root = tempDir(t);
    const item = { ...submission(root, 'cs-valid', drv('cs-valid')), env: {} };
    const result = await runner.realise({
      drvPaths: await runner.instantiate(item),
      timeoutSeconds: 60,
      maxSilentSeconds: 0,
    });
    const valid = result.status === 'succeeded' ? result.outputs : [];
    const bogus = ['/nix/store/00000000000000000000000000000000-not-there'];
    const sizes = await runner.closureSizes([valid, bogus]);
    assert.equal(sizes[0]!.status, 'fulfilled');
    assert.equal(sizes[1]!.status, 'rejected');
  });
});
