import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nonce } from '../helpers/nix.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { dependentDerivations, validIn } from '../helpers/stores.js';

interface BuildJson {
  id: string;
  status: string;
  outputs: string[];
  substituted: string[];
  built: string[];
  pushed: string[];
  error: string | null;
}

async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const res = await runCli(args, env);
  assert.equal(res.code, 0, `kiln ${args.join(' ')}: ${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

describe('workers with their own Nix store sharing one warehouse (two kiln serve processes)', () => {
  let dir: string;
  let first: ServerProcess;
  let second: ServerProcess;
  let firstAdmin: Record<string, string>;
  let secondAdmin: Record<string, string>;
  let storeA: string;
  let storeB: string;
  let cacheUrl: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-worker-stores-'));
    storeA = join(dir, 'store-a');
    storeB = join(dir, 'store-b');
    first = await startServerProcess(join(dir, 'a'), ['--nix-store', storeA]);
    firstAdmin = { KILN_SERVER: first.url, KILN_TOKEN: first.token };
    const key = (await cli(['cache', 'create', 'main'], firstAdmin)).trim().split('\n').at(-1)!;
    cacheUrl = `${first.url}/cache/main`;
    // The second worker substitutes from the first one's warehouse, trusting its key.
    second = await startServerProcess(join(dir, 'b'), [
      '--nix-store',
      storeB,
      '--substituter',
      cacheUrl,
      '--trusted-public-key',
      key,
    ]);
    secondAdmin = { KILN_SERVER: second.url, KILN_TOKEN: second.token };
  });
  after(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  });

  it('builds into its own store, pushes from it, and the other worker substitutes instead of building', async () => {
    const { x, y } = dependentDerivations('worker', nonce());
    const builtX = JSON.parse(
      await cli(['build', '--expr', x, '--push', 'main', '--wait', '--json'], firstAdmin),
    ) as BuildJson;
    assert.equal(builtX.status, 'succeeded', builtX.error ?? '');
    const xOut = builtX.outputs[0]!;
    assert.equal(builtX.built.length, 1);
    assert.deepEqual(builtX.pushed, [xOut], 'pushed from the first worker’s own store');
    assert.ok(await validIn(xOut, storeA), 'X is in the first worker’s store');
    assert.ok(!(await validIn(xOut)), 'X never reached the machine’s store');
    assert.ok(!(await validIn(xOut, storeB)), 'nor the second worker’s store, yet');

    const builtY = JSON.parse(
      await cli(['build', '--expr', y, '--wait', '--json'], secondAdmin),
    ) as BuildJson;
    assert.equal(builtY.status, 'succeeded', builtY.error ?? '');
    const yOut = builtY.outputs[0]!;
    assert.deepEqual(builtY.substituted, [xOut], 'X came from the warehouse');
    assert.equal(builtY.built.length, 1, 'only Y was built');
    assert.match(builtY.built[0]!, /-worker-y-[0-9a-f]+\.drv$/);
    const log = await cli(['logs', builtY.id], secondAdmin);
    assert.ok(log.includes(`substituting ${xOut} from ${cacheUrl}`), log);

    assert.ok(await validIn(xOut, storeB), 'X is now in the second worker’s store');
    assert.ok(await validIn(yOut, storeB), 'and so is Y');
    assert.ok(!(await validIn(yOut, storeA)), 'Y is not in the first worker’s store');
    assert.ok(!(await validIn(yOut)), 'nor in the machine’s store');
  });
});
