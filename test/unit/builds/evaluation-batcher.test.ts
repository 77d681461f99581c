import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EvaluationBatcher, type BuildRunner } from '../../../src/builds/index.js';
import { KilnError } from '../../../src/errors/index.js';

/** Records how the batcher groups work; evaluation itself is covered against the real Nix. */
function recordingRunner(): { runner: BuildRunner; batches: string[][]; release: () => void } {
  const batches: string[][] = [];
  let release!: () => void;
  let gate = new Promise<void>((r) => (release = r));
  const runner = {
    parseCheckMany: (files: readonly string[]) =>
      Promise.resolve(
        files.map((f): PromiseSettledResult<void> =>
          f.includes('syntax')
            ? { status: 'rejected', reason: new KilnError('KILN_ERR_EXPR_PARSE', `bad syntax in ${f}`) }
            : { status: 'fulfilled', value: undefined },
        ),
      ),
    instantiateMany: async (requests: readonly { file: string }[]) => {
      batches.push(requests.map((r) => r.file));
      await gate;
      gate = Promise.resolve();
      return requests.map((r): PromiseSettledResult<string[]> =>
        r.file.includes('syntax')
          ? { status: 'rejected', reason: new KilnError('KILN_ERR_EXPR_EVAL', 'eval failed') }
          : { status: 'fulfilled', value: [`/nix/store/x-${r.file}.drv`] },
      );
    },
  } as unknown as BuildRunner; // only the two batch methods are used by the batcher
  return { runner, batches, release: () => release() };
}

describe('evaluation batcher', () => {
  it('evaluates a lone request at once and coalesces those that arrive while busy', async () => {
    const { runner, batches, release } = recordingRunner();
    const batcher = new EvaluationBatcher(runner, { maxConcurrent: 1, maxBatch: 10 });
    const req = (file: string) => batcher.evaluate({ file, env: {}, workDir: '/w', parse: true });
    const first = req('a');
    await new Promise((r) => setImmediate(r));
    const rest = ['b', 'c', 'd'].map(req);
    release();
    assert.deepEqual(await first, ['/nix/store/x-a.drv']);
    assert.deepEqual(await Promise.all(rest), [
      ['/nix/store/x-b.drv'],
      ['/nix/store/x-c.drv'],
      ['/nix/store/x-d.drv'],
    ]);
    assert.deepEqual(batches, [['a'], ['b', 'c', 'd']]);
  });

  it('reports a syntax error as a parse error even though evaluation ran beside it', async () => {
    const { runner, release } = recordingRunner();
    release();
    const batcher = new EvaluationBatcher(runner, { maxConcurrent: 2, maxBatch: 10 });
    await assert.rejects(
      batcher.evaluate({ file: 'syntax', env: {}, workDir: '/w', parse: true }),
      (e: unknown) => e instanceof KilnError && e.code === 'KILN_ERR_EXPR_PARSE',
    );
    await assert.rejects(
      batcher.evaluate({ file: 'syntax', env: {}, workDir: '/w', parse: false }),
      (e: unknown) => e instanceof KilnError && e.code === 'KILN_ERR_EXPR_EVAL',
    );
  });

  it('splits large bursts into batches of at most maxBatch', async () => {
    const { runner, batches, release } = recordingRunner();
    release();
    const batcher = new EvaluationBatcher(runner, { maxConcurrent: 1, maxBatch: 2 });
    await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((file) =>
        batcher.evaluate({ file, env: {}, workDir: '/w', parse: false }),
      ),
    );
    assert.ok(batches.every((b) => b.length <= 2));
    assert.deepEqual(batches.flat().sort(), ['a', 'b', 'c', 'd', 'e']);
  });
});
