import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isKilnError, type ErrorCode } from '../../../src/errors/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { drv, makeRunner, recorder, writeExpr } from './nix.js';
import { nonce, processesWithCmdline, uniqueSleepSeconds, waitFor } from './helpers.js';

const isCode = (code: ErrorCode) => (error: unknown) => {
  assert.ok(isKilnError(error), `expected a KilnError, got ${String(error)}`);
  assert.equal(error.code, code);
  return true;
};

describe('NixRunner against the real Nix', () => {
  it('builds x86_64-linux and i686-linux side by side, with outputs, roots, events and closure size', async (t) => {
    const dir = tempDir(t);
    const n = nonce();
    const file = writeExpr(
      dir,
      `{ a = ${drv(`kiln-it-a-${n}`, 'echo building a; uname -m > $out', { nonce: n })};
         b = ${drv(`kiln-it-b-${n}`, 'echo building b; uname -m > $out', { nonce: n, system: '"i686-linux"' })}; }`,
    );
    const runner = await makeRunner();
    const drvPaths = await runner.instantiate({ file, env: {}, workDir: join(dir, 'work') });
    assert.equal(drvPaths.length, 2);
    const rec = recorder();
    const result = await runner.realise({
      drvPaths,
      gcRootPrefix: join(dir, 'roots', 'result'),
      timeoutSeconds: 60,
      maxSilentSeconds: 0,
      ...rec.options,
    });
    assert.equal(result.status, 'succeeded', JSON.stringify(result));
    assert.equal(result.outputs.length, 2);
    const machines = result.outputs.map((o) => readFileSync(o, 'utf8').trim());
    assert.deepEqual(machines, ['x86_64', 'i686']);
    assert.equal(readlinkSync(join(dir, 'roots', 'result')), result.outputs[0]);
    assert.equal(readlinkSync(join(dir, 'roots', 'result-2')), result.outputs[1]);

    const started = rec.events.filter((e) => e.type === 'build-started');
    assert.equal(started.length, 2);
    assert.ok(rec.lines.some((l) => l.stream === 'build' && l.text === 'building a'));
    assert.ok(rec.lines.some((l) => l.stream === 'build' && l.text === 'building b'));
    assert.deepEqual(rec.events.filter((e) => e.type === 'progress').at(-1), {
      type: 'progress',
      done: 2,
      expected: 2,
      running: 0,
      failed: 0,
    });
    assert.equal(rec.spawns.length, 1);
    assert.match(rec.spawns[0]?.startTime ?? '', /^\d+$/);

    const size = await runner.closureSize(result.outputs);
    assert.ok(size > 0);
  });

  it('counts shared closure paths once', async (t) => {
    const dir = tempDir(t);
    const n = nonce();
    const base = drv(`kiln-it-base-${n}`, 'echo base > $out', { nonce: n });
    const file = writeExpr(
      dir,
      `let base = ${base}; in {
         base = base;
         user = ${drv(`kiln-it-user-${n}`, 'echo $dep > $out', { nonce: n, extra: 'dep = base;' })}; }`,
    );
    const runner = await makeRunner();
    const drvPaths = await runner.instantiate({ file, env: {}, workDir: dir });
    const result = await runner.realise({
      drvPaths,
      gcRootPrefix: join(dir, 'r'),
      timeoutSeconds: 60,
      maxSilentSeconds: 0,
    });
    assert.equal(result.status, 'succeeded');
    const [baseOut, userOut] = result.outputs as [string, string];
    const baseSize = await runner.closureSize([baseOut]);
    const userSize = await runner.closureSize([userOut]);
    assert.ok(userSize > baseSize, 'user references base');
    assert.equal(await runner.closureSize([baseOut, userOut]), userSize);
    assert.equal(await runner.closureSize([]), 0);
  });

  it('injects environment variables: NODE_ENV reaches the builder', async (t) => {
    const dir = tempDir(t);
    const n = nonce();
    const file = writeExpr(dir, drv(`kiln-it-env-${n}`, 'echo "node_env=$NODE_ENV" > $out', { nonce: n }));
    const runner = await makeRunner();
    const drvPaths = await runner.instantiate({ file, env: { NODE_ENV: 'production' }, workDir: dir });
    const result = await runner.realise({
      drvPaths,
      gcRootPrefix: join(dir, 'r'),
      timeoutSeconds: 60,
      maxSilentSeconds: 0,
    });
    assert.equal(result.status, 'succeeded');
    assert.equal(readFileSync(result.outputs[0] ?? '', 'utf8'), 'node_env=production\n');
  });

  it('evaluates for another system: builtins.currentSystem follows it', async (t) => {
    const dir = tempDir(t);
    const n = nonce();
    const file = writeExpr(
      dir,
      drv(`kiln-it-sys-${n}`, 'uname -m > $out', { nonce: n, system: 'builtins.currentSystem' }),
    );
    const runner = await makeRunner();
    const drvPaths = await runner.instantiate({ file, system: 'i686-linux', env: {}, workDir: dir });
    const result = await runner.realise({ drvPaths, timeoutSeconds: 60, maxSilentSeconds: 0 });
    assert.equal(result.status, 'succeeded');
    assert.equal(readFileSync(result.outputs[0] ?? '', 'utf8').trim(), 'i686');
  });

  it('reports a failing builder with its exit code and last log lines', async (t) => {
    const dir = tempDir(t);
    const n = nonce();
    const script = 'for i in $(seq 1 30); do echo "log line $i"; done; echo oops >&2; exit 3';
    const file = writeExpr(dir, drv(`kiln-it-fail-${n}`, script, { nonce: n }));
    const runner = await makeRunner();
    const drvPaths = await runner.instantiate({ file, env: {}, workDir: dir });
    const rec = recorder();
    const result = await runner.realise({
      drvPaths,
      gcRootPrefix: join(dir, 'r'),
      timeoutSeconds: 60,
      maxSilentSeconds: 0,
      ...rec.options,
    });
    assert.equal(result.status, 'failed');
    assert.equal(result.reason, 'build-failed');
    assert.equal(result.exitCode, 100);
    assert.match(result.message, /failed with exit code 3/);
    assert.match(result.message, /> log line 30\n> oops$/);
    assert.ok(!result.message.includes('log line 10\n'), 'only the last lines');
    assert.ok(rec.lines.some((l) => l.stream === 'stderr' && /^error: builder for/.test(l.text)));
    assert.equal(rec.lines.filter((l) => l.stream === 'build').length, 31);
  });

  it('--timeout: timed_out with reason nix-timeout', async (t) => {
    const dir = tempDir(t);
    const n = nonce();
    const file = writeExpr(dir, drv(`kiln-it-timeout-${n}`, 'echo start; sleep 30', { nonce: n }));
    const runner = await makeRunner();
    const drvPaths = await runner.instantiate({ file, env: {}, workDir: dir });
    const started = Date.now();
    const result = await runner.realise({ drvPaths, timeoutSeconds: 1, maxSilentSeconds: 0 });
    assert.equal(result.status, 'timed_out');
    assert.equal(result.reason, 'nix-timeout');
    assert.match(result.message, /timed out after 1 seconds/);
    assert.ok(Date.now() - started < 10_000);
  });

  it('max silent time: timed_out with reason silent-timeout', async (t) => {
    const dir = tempDir(t);
    const n = nonce();
    const file = writeExpr(dir, drv(`kiln-it-silent-${n}`, 'echo start; sleep 30', { nonce: n }));
    const runner = await makeRunner();
    const drvPaths = await runner.instantiate({ file, env: {}, workDir: dir });
    const result = await runner.realise({ drvPaths, timeoutSeconds: 60, maxSilentSeconds: 1 });
    assert.equal(result.status, 'timed_out');
    assert.equal(result.reason, 'silent-timeout');
    assert.match(result.message, /of silence[\s\S]*> start$/);
  });

  it('our wall clock bounds the total time of several derivations', async (t) => {
    const dir = tempDir(t);
    const n = nonce();
    // Each step stays well under Nix's per-derivation --timeout; together they exceed the budget.
    const first = drv(`kiln-it-wall-1-${n}`, 'sleep 1.8; echo > $out', { nonce: n });
    const file = writeExpr(
      dir,
      `let first = ${first}; in ${drv(`kiln-it-wall-2-${n}`, 'echo second; sleep 1.8; echo > $out', { nonce: n, extra: 'dep = first;' })}`,
    );
    const runner = await makeRunner({ wallClockSlackMs: 200 });
    const drvPaths = await runner.instantiate({ file, env: {}, workDir: dir });
    const result = await runner.realise({ drvPaths, timeoutSeconds: 3, maxSilentSeconds: 0 });
    assert.equal(result.status, 'timed_out');
    assert.equal(result.reason, 'wall-clock-timeout');
    assert.match(result.message, /time limit of 3 seconds/);
  });

  for (const sandbox of [true, false]) {
    it(`abort mid-build (sandbox ${sandbox}): cancelled quickly, no builder process left`, async (t) => {
      const runner = await makeRunner(sandbox ? {} : { sandbox: false });
      if (sandbox && !runner.sandbox) return t.skip('sandbox unavailable here');
      const dir = tempDir(t);
      const n = nonce();
      const seconds = uniqueSleepSeconds();
      const file = writeExpr(dir, drv(`kiln-it-abort-${n}`, `echo started; sleep ${seconds}`, { nonce: n }));
      const drvPaths = await runner.instantiate({ file, env: {}, workDir: dir });
      const controller = new AbortController();
      let abortedAt = 0;
      const result = await runner.realise({
        drvPaths,
        timeoutSeconds: 60,
        maxSilentSeconds: 0,
        signal: controller.signal,
        onLine: (stream, text) => {
          if (stream === 'build' && text === 'started') {
            // Only once sleep is surely running.
            void waitFor(() => processesWithCmdline(`sleep ${seconds}`).length > 0, 5000, 'sleep').then(
              () => {
                abortedAt = Date.now();
                controller.abort();
              },
            );
          }
        },
      });
      assert.equal(result.status, 'cancelled');
      assert.ok(abortedAt > 0);
      assert.ok(Date.now() - abortedAt < 4000, `cancel took ${Date.now() - abortedAt} ms`);
      await waitFor(
        () => processesWithCmdline(`sleep ${seconds}`).length === 0,
        2000,
        `sleep ${seconds} gone`,
      );
    });
  }

  it('an already aborted signal cancels without building', async (t) => {
    const dir = tempDir(t);
    const n = nonce();
    const file = writeExpr(dir, drv(`kiln-it-preabort-${n}`, 'echo > $out', { nonce: n }));
    const runner = await makeRunner();
    const drvPaths = await runner.instantiate({ file, env: {}, workDir: dir });
    const result = await runner.realise({
      drvPaths,
      timeoutSeconds: 60,
      maxSilentSeconds: 0,
      signal: AbortSignal.abort(),
    });
    assert.equal(result.status, 'cancelled');
  });
});

describe('NixRunner evaluation errors', () => {
  it('parse errors: KILN_ERR_EXPR_PARSE with Nix’s message, without ANSI', async (t) => {
    const dir = tempDir(t);
    const file = writeExpr(dir, '{ a = 1');
    const runner = await makeRunner();
    await assert.rejects(runner.parseCheck(file), (error: unknown) => {
      isCode('KILN_ERR_EXPR_PARSE')(error);
      const e = error as Error & { details: Record<string, unknown> };
      assert.match(e.message, /^syntax error, unexpected end of file/);
      assert.ok(!e.message.includes('\u001b'));
      assert.equal(e.details.line, 1);
      assert.equal(e.details.column, 8);
      return true;
    });
    await runner.parseCheck(writeExpr(dir, '{ a = 1; }', 'ok.nix'));
  });

  it('evaluation errors: KILN_ERR_EXPR_EVAL with Nix’s message, without ANSI or the show-trace hint', async (t) => {
    const dir = tempDir(t);
    const file = writeExpr(dir, 'let x = { a = 1; }; in x.b');
    const runner = await makeRunner();
    await assert.rejects(runner.instantiate({ file, env: {}, workDir: dir }), (error: unknown) => {
      isCode('KILN_ERR_EXPR_EVAL')(error);
      const e = error as Error;
      assert.match(e.message, /^attribute 'b' missing/);
      assert.ok(!e.message.includes('\u001b'));
      assert.ok(!e.message.includes('show-trace'));
      return true;
    });
  });

  it('throw, non-derivations and empty sets are evaluation errors too', async (t) => {
    const dir = tempDir(t);
    const runner = await makeRunner();
    const cases: [string, RegExp][] = [
      ['throw "custom failure"', /custom failure/],
      ['42', /does not evaluate to a derivation/],
      ['{ }', /does not contain any derivation/],
    ];
    for (const [source, message] of cases) {
      const file = writeExpr(dir, source);
      await assert.rejects(runner.instantiate({ file, env: {}, workDir: dir }), (error: unknown) => {
        isCode('KILN_ERR_EXPR_EVAL')(error);
        assert.match((error as Error).message, message);
        return true;
      });
    }
  });

  it('missing files, bad variable names and bad attribute paths are refused before Nix runs', async (t) => {
    const dir = tempDir(t);
    const runner = await makeRunner();
    await assert.rejects(runner.parseCheck(join(dir, 'nope.nix')), isCode('KILN_ERR_FILE_NOT_FOUND'));
    await assert.rejects(
      runner.instantiate({ file: join(dir, 'nope.nix'), env: {}, workDir: dir }),
      isCode('KILN_ERR_FILE_NOT_FOUND'),
    );
    const file = writeExpr(dir, drv('kiln-it-unused', 'echo > $out', { nonce: 'x' }));
    for (const name of ['builder', 'system', '1BAD', 'A-B', '']) {
      await assert.rejects(
        runner.instantiate({ file, env: { [name]: 'x' }, workDir: dir }),
        isCode('KILN_ERR_ENV_NAME'),
      );
    }
    await assert.rejects(
      runner.instantiate({ file, attr: 'a..b', env: {}, workDir: dir }),
      isCode('KILN_ERR_VALIDATION'),
    );
  });

  it('evaluation is abortable', async (t) => {
    const dir = tempDir(t);
    const runner = await makeRunner();
    // Long but flat (no deep recursion, little memory): about 10^9 additions.
    const file = writeExpr(
      dir,
      "let xs = builtins.genList (i: i) 30000; in builtins.foldl' (acc: _: builtins.foldl' builtins.add acc xs) 0 xs",
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop it')), 300);
    await assert.rejects(
      runner.instantiate({ file, env: {}, workDir: dir, signal: controller.signal }),
      /stop it/,
    );
  });

  it('reports the Nix version', async () => {
    const runner = await makeRunner();
    assert.match(await runner.version(), /^\d+\.\d+/);
  });

  it('a wrong binDir is a KILN_ERR_NIX', async (t) => {
    const dir = tempDir(t);
    const runner = await makeRunner({ binDir: join(dir, 'no-such-bin') });
    await assert.rejects(runner.version(), isCode('KILN_ERR_NIX'));
    await assert.rejects(
      runner.realise({ drvPaths: ['/nix/store/x.drv'], timeoutSeconds: 1, maxSilentSeconds: 0 }),
      isCode('KILN_ERR_NIX'),
    );
  });
});
