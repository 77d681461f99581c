import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nonce } from '../helpers/nix.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

interface BuildJson {
  status: string;
  outputs: string[];
  pushCache: string | null;
  substituted: string[];
  built: string[];
  pushed: string[];
  error: string | null;
  reason: string | null;
  steps?: { name: string; status: string; detail: string | null }[];
}

async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const res = await runCli(args, env);
  assert.equal(res.code, 0, `kiln ${args.join(' ')}: ${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

/** A dependency and a top derivation whose output names it (so it is in the closure). */
function expressions(tag: string): { dep: string; top: string } {
  const dep = `derivation {
    name = "dep-${tag}";
    system = "x86_64-linux";
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" "echo dependency ${tag} > $out" ];
  }`;
  const top = `let dep = ${dep}; in derivation {
    name = "top-${tag}";
    system = "x86_64-linux";
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" "echo uses \${dep} > $out" ];
  }`;
  return { dep, top };
}

describe('builds that use the warehouse (real kiln serve, real Nix)', () => {
  let dir: string;
  let server: ServerProcess;
  let admin: Record<string, string>;
  let key: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-build-cache-'));
    server = await startServerProcess(join(dir, 'data'));
    admin = { KILN_SERVER: server.url, KILN_TOKEN: server.token };
    key = (await cli(['cache', 'create', 'builds'], admin)).trim().split('\n').at(-1)!;
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pushes the closure of a build with --push and lists what it built and pushed', async () => {
    const { top } = expressions(nonce());
    const out = await cli(['build', '--expr', top, '--push', 'builds', '--wait', '--json'], admin);
    const build = JSON.parse(out) as BuildJson & { id: string };
    assert.equal(build.status, 'succeeded', build.error ?? '');
    assert.equal(build.pushCache, 'builds');
    assert.equal(build.built.length, 2, 'the dependency and the top derivation were built');
    assert.ok(build.built.every((drv) => drv.endsWith('.drv')));
    assert.deepEqual(build.substituted, []);
    const closure = execFileSync('nix-store', ['--query', '--requisites', build.outputs[0]!], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    assert.deepEqual([...build.pushed].sort(), [...closure].sort());
    const status = JSON.parse(await cli(['status', build.id, '--json'], admin)) as BuildJson;
    const push = status.steps?.find((step) => step.name === 'push');
    assert.deepEqual([push?.status, push?.detail], ['succeeded', '2 pushed']);
    const log = await cli(['logs', build.id], admin);
    assert.match(log, /kiln: pushing the closure of 1 output\(s\) to builds/);
    assert.match(log, /kiln: pushed 2 path\(s\) to builds/);

    // What the build pushed is what a customer substitutes.
    const res = spawnSync(
      'nix-store',
      [
        '--store',
        join(dir, 'customer'),
        '--realise',
        build.outputs[0]!,
        '--option',
        'substituters',
        `${server.url}/cache/builds`,
        '--option',
        'trusted-public-keys',
        key,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(res.status, 0, res.stderr);
  });

  it('rejects --push to a cache that does not exist before queueing anything', async () => {
    const res = await runCli(['build', '--expr', expressions(nonce()).top, '--push', 'nope'], admin);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /no cache named nope/);
  });

  it('substitutes a dependency from a configured cache and says so in the record', async () => {
    const tag = nonce();
    const { dep, top } = expressions(tag);
    // Build the dependency with plain Nix, push it, then remove it from the local store.
    const depFile = join(dir, `dep-${tag}.nix`);
    writeFileSync(depFile, dep);
    const depPath = execFileSync('nix-build', ['--no-out-link', depFile], { encoding: 'utf8' }).trim();
    const pushToken = (await cli(['token', 'create', '--cache', 'builds', '--perm', 'push'], admin)).trim();
    await cli(['push', 'builds', depPath], { KILN_SERVER: server.url, KILN_TOKEN: pushToken });
    execFileSync('nix-store', ['--delete', depPath], { stdio: 'ignore' });
    assert.equal(spawnSync('nix-store', ['--check-validity', depPath]).status, 1, 'the dependency is gone');

    // A second kiln whose builds substitute from the first one's cache.
    const consumer = await startServerProcess(join(dir, 'consumer'), [], {
      KILN_SUBSTITUTERS: `${server.url}/cache/builds`,
      KILN_TRUSTED_PUBLIC_KEYS: key,
    });
    try {
      const env = { KILN_SERVER: consumer.url, KILN_TOKEN: consumer.token };
      const build = JSON.parse(await cli(['build', '--expr', top, '--wait', '--json'], env)) as BuildJson & {
        id: string;
      };
      assert.equal(build.status, 'succeeded', build.error ?? '');
      assert.deepEqual(build.substituted, [depPath]);
      assert.equal(build.built.length, 1);
      assert.match(build.built[0]!, new RegExp(`-top-${tag}\\.drv$`));
      assert.deepEqual(build.pushed, []);
      const log = await cli(['logs', build.id], env);
      assert.ok(log.includes(`kiln: substituting ${depPath} from ${server.url}/cache/builds`), log);
    } finally {
      await consumer.stop();
    }
  });
});
