import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine, type Plan } from '../../../src/cli/args/index.js';
import { hashPartOf } from '../../../src/cli/commands/cache.js';
import { KilnError } from '../../../src/errors/index.js';

function rejects(argv: string[], mention: string): void {
  assert.throws(
    () => parseCommandLine(argv),
    (err: unknown) => err instanceof KilnError && err.message.includes(mention),
    `${argv.join(' ')} should fail mentioning ${mention}`,
  );
}

function parse<C extends Plan['command']>(argv: string[], command: C): Extract<Plan, { command: C }> {
  const plan = parseCommandLine(argv);
  assert.equal(plan.command, command);
  return plan as Extract<Plan, { command: C }>;
}

describe('kiln cache arguments', () => {
  it('creates public and private caches with a priority and a retention', () => {
    const plan = parse(['cache', 'create', 'main'], 'cache');
    assert.deepEqual(
      { action: plan.action, ...(plan.action === 'create' && { name: plan.name, private: plan.private }) },
      { action: 'create', name: 'main', private: false },
    );
    const full = parse(
      ['cache', 'create', 'x', '--private', '--priority', '30', '--retention', '14'],
      'cache',
    );
    assert.ok(full.action === 'create');
    assert.deepEqual([full.private, full.priority, full.retentionDays], [true, 30, 14]);
    const never = parse(['cache', 'create', 'x', '--retention', 'never'], 'cache');
    assert.ok(never.action === 'create' && never.retentionDays === null);
    rejects(['cache', 'create', 'x', '--retention', '0'], 'days');
    rejects(['cache', 'create', 'x', '--priority', '-1'], '--priority');
    rejects(['cache', 'create'], 'NAME');
  });

  it('parses gc with --dry-run and --older-than, and rotate-key with --overlap', () => {
    const gc = parse(['cache', 'gc', 'main', '--dry-run', '--older-than', '2w'], 'cache');
    assert.ok(gc.action === 'gc');
    assert.deepEqual([gc.dryRun, gc.olderThanDays], [true, 14]);
    const rotate = parse(['cache', 'rotate-key', 'main', '--overlap', '3d'], 'cache');
    assert.ok(rotate.action === 'rotate-key' && rotate.overlapSeconds === 3 * 86400);
    rejects(['cache', 'rotate-key', 'main', '--overlap', 'soon'], '--overlap');
  });

  it('names the subcommands when one is missing or unknown', () => {
    rejects(['cache'], 'create, info');
    rejects(['cache', 'explode', 'main'], "unknown subcommand 'kiln cache explode'");
  });

  it('parses worker-config and warm for the server machine', () => {
    const config = parse(
      [
        'cache',
        'worker-config',
        'w1',
        '--local-cache',
        'main',
        '--shared-store',
        '--trust',
        'a-1:x',
        '--listen',
        '127.0.0.1:7071',
      ],
      'cache',
    );
    assert.ok(config.action === 'worker-config');
    assert.equal(config.mode, 'set');
    assert.deepEqual(
      [config.workerId, config.localCache, config.sharedStore, config.trust, config.listen],
      ['w1', 'main', true, ['a-1:x'], { host: '127.0.0.1', port: 7071 }],
    );
    rejects(['cache', 'worker-config', 'w1', '--shared-store', '--private-store'], 'choose one');
    const show = parse(['cache', 'worker-config', 'w1', '--show'], 'cache');
    assert.ok(show.action === 'worker-config' && show.mode === 'show');
    const clear = parse(['cache', 'worker-config', 'w1', '--clear'], 'cache');
    assert.ok(clear.action === 'worker-config' && clear.mode === 'clear');
    rejects(['cache', 'worker-config', 'w1', '--show', '--clear'], 'go alone');
    rejects(['cache', 'worker-config', 'w1', '--clear', '--private-store'], 'go alone');
    const warm = parse(['cache', 'warm', 'main', '/nix/store/x', 'hello'], 'cache');
    assert.ok(warm.action === 'warm');
    assert.deepEqual([warm.name, warm.packages, warm.workerId], ['main', ['/nix/store/x', 'hello'], 'local']);
    rejects(['cache', 'warm', 'main'], 'PACKAGE');
  });

  it('finds the hash part of a store path, a base name or a result link target', () => {
    const hash = '0123456789abcdfghijklmnpqrsvwxyz';
    assert.equal(hashPartOf(`/nix/store/${hash}-hello-2.12`), hash);
    assert.equal(hashPartOf(`${hash}-hello`), hash);
    assert.equal(hashPartOf(hash), hash);
    assert.throws(() => hashPartOf('./result'), /not a store path/);
  });
});

describe('kiln token arguments', () => {
  it('creates cache tokens with a permission and a lifetime', () => {
    const plan = parse(['token', 'create', '--cache', 'main', '--perm', 'push', '--ttl', '12h'], 'token');
    assert.ok(plan.action === 'create');
    assert.deepEqual([plan.cache, plan.perm, plan.ttlSeconds], ['main', 'push', 12 * 3600]);
    const admin = parse(['token', 'create', '--perm', 'admin'], 'token');
    assert.ok(admin.action === 'create' && admin.cache === undefined);
  });

  it('insists on a permission, and on a cache for pull and push tokens', () => {
    rejects(['token', 'create', '--cache', 'main'], '--perm pull, push or admin');
    rejects(['token', 'create', '--cache', 'main', '--perm', 'owner'], '--perm pull, push or admin');
    rejects(['token', 'create', '--perm', 'pull'], '--cache NAME');
    rejects(['token', 'revoke'], 'ID');
    rejects(['token'], 'create, list or revoke');
  });
});

describe('kiln store arguments', () => {
  it('knows optimise (and the American spelling)', () => {
    assert.deepEqual(parse(['store', 'optimize', '--data', '/d'], 'store'), {
      command: 'store',
      action: 'optimise',
      dataDir: '/d',
      json: false,
    });
    rejects(['store', 'gc'], 'optimise');
  });
});
