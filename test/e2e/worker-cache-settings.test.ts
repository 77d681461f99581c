import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { nixBuildExpr } from '../helpers/closure.js';
import { makeRepo } from '../helpers/git-repos.js';
import { nonce, waitFor } from '../helpers/nix.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { dependentDerivations, validIn } from '../helpers/stores.js';

interface BuildJson {
  id: string;
  status: string;
  outputs: string[];
  substituted: string[];
  built: string[];
  error: string | null;
}

async function cli(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  const res = await runCli(args, env);
  assert.equal(res.code, 0, `kiln ${args.join(' ')}: ${res.stdout}\n${res.stderr}`);
  return res;
}

describe('central worker cache settings, applied by a kiln serve --role worker process at start', () => {
  it('an admin sets w2’s cache and private store; w2 (no cache flags) substitutes X from it into its own store', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-worker-cache-'));
    const data = join(dir, 'data');
    const processes: ServerProcess[] = [];
    t.after(async () => {
      for (const server of processes.reverse()) await server.stop();
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    });
    // Git builds: cloned and evaluated on the worker, so their derivations land in its own store.
    const local = { KILN_GIT_ALLOW_LOCAL: '1' };
    const api = await startServerProcess(data, ['--role', 'api'], { ...local, KILN_NODE_ID: 'api' });
    processes.push(api);
    const admin = { KILN_SERVER: api.url, KILN_TOKEN: api.token };
    const key = (await cli(['cache', 'create', 'main'], admin)).stdout.trim().split('\n').at(-1)!;
    const cacheUrl = `${api.url}/cache/main`;

    // X is in the warehouse before the worker exists.
    const { x, y } = dependentDerivations('central', nonce());
    const [xOut] = nixBuildExpr(x);
    assert.ok(xOut);
    await cli(['push', 'main', xOut], admin);

    // The admin's settings for w2, through the API (KILN_SERVER names the server).
    const set = await cli(
      ['cache', 'worker-config', 'w2', '--cache-url', cacheUrl, '--private-store', '--trust', key],
      admin,
    );
    assert.match(set.stderr, /stored the cache settings of worker w2; it applies them when it \(re\)starts/);
    const shown = JSON.parse(
      (await cli(['cache', 'worker-config', 'w2', '--show', '--json'], admin)).stdout,
    ) as {
      options: Record<string, unknown>;
    };
    assert.deepEqual(shown.options, { cacheUrl, enableSharedStore: false, trustedPublicKeys: [key] });

    // The worker is started with no --substituter, --trusted-public-key or --nix-store.
    const w2 = await startServerProcess(data, ['--role', 'worker', '--concurrency', '1'], {
      ...local,
      KILN_NODE_ID: 'w2',
      KILN_POLL_MS: '200',
    });
    processes.push(w2);
    const privateStore = join(data, 'workers', 'w2', 'store');
    // Said on stderr before "listening on" (stdout); the two pipes may arrive in either order.
    const said = `worker w2: substituters ${cacheUrl} (central), store ${privateStore} (central)`;
    await waitFor(() => Promise.resolve(w2.output().includes(said)), {
      timeoutMs: 10_000,
      what: "the worker's line about its central settings",
    });
    const { workers } = (await (
      await fetch(`${api.url}/api/v1/workers`, { headers: { authorization: `Bearer ${api.token}` } })
    ).json()) as { workers: { node: string; nixStore: string }[] };
    assert.deepEqual(
      workers.map((w) => [w.node, w.nixStore]),
      [['w2', privateStore]],
      'the registry shows the store w2 applied',
    );

    const repo = join(dir, 'repo');
    makeRepo(repo, [
      {
        subject: 'Y',
        author: 'Ada',
        email: 'ada@example.org',
        date: '2024-01-01T00:00:00+00:00',
        files: { 'default.nix': y },
      },
    ]);
    const built = JSON.parse(
      (await cli(['build', '--git', `file://${repo}`, '--ref', 'main', '--wait', '--json'], admin)).stdout,
    ) as BuildJson;
    assert.equal(built.status, 'succeeded', built.error ?? '');
    const yOut = built.outputs[0]!;
    assert.deepEqual(built.substituted, [xOut], 'X came from the cache the central settings name');
    assert.equal(built.built.length, 1, 'only Y was built');
    const log = (await cli(['logs', built.id], admin)).stdout;
    assert.ok(log.includes(`substituting ${xOut} from ${cacheUrl}`), log);

    assert.ok(await validIn(yOut, privateStore), 'Y is in w2’s private store');
    assert.ok(await validIn(xOut, privateStore), 'and so is X');
    assert.ok(!(await validIn(yOut)), 'Y never reached the machine’s store');
  });
});
