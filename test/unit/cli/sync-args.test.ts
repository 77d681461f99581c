import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VersionSyncView } from '../../../src/api/index.js';
import { parseCommandLine, type Plan } from '../../../src/cli/args/index.js';
import { syncLines } from '../../../src/cli/commands/sync.js';
import { usageText } from '../../../src/cli/usage.js';
import { KilnError } from '../../../src/errors/index.js';

type SyncPlan = Extract<Plan, { command: 'sync' }>;

function parse(argv: string[]): SyncPlan {
  const plan = parseCommandLine(['sync', ...argv]);
  assert.equal(plan.command, 'sync');
  return plan;
}

function rejects(argv: string[], code: string, mention: string): void {
  assert.throws(
    () => parseCommandLine(['sync', ...argv]),
    (err: unknown) => err instanceof KilnError && err.code === code && err.message.includes(mention),
    `${argv.join(' ')} should fail with ${code} mentioning ${mention}`,
  );
}

describe('kiln sync arguments', () => {
  it('add takes every setting; secrets only as files', () => {
    const plan = parse([
      'add',
      'hello',
      '--git',
      'https://git.example/p.git',
      '--file',
      'pkgs/hello.nix',
      '--ref',
      'main',
      '--entry',
      'default.nix',
      '-A',
      'hello',
      '--verify',
      'result/bin/hello --version',
      '--system',
      'x86_64-linux',
      '--system',
      'aarch64-linux',
      '--branch',
      'up/{version}',
      '--tag-pattern',
      '^r(.*)$',
      '--git-token-file',
      't.txt',
      '--webhook-secret-file',
      's.txt',
      '--json',
    ]);
    assert.deepEqual(plan, {
      command: 'sync',
      client: { server: undefined, token: undefined, dataDir: undefined },
      json: true,
      action: 'add',
      name: 'hello',
      settings: {
        repository: 'https://git.example/p.git',
        file: 'pkgs/hello.nix',
        ref: 'main',
        entry: 'default.nix',
        attr: 'hello',
        verify: 'result/bin/hello --version',
        systems: ['x86_64-linux', 'aarch64-linux'],
        branch: 'up/{version}',
        tagPattern: '^r(.*)$',
        tokenFile: 't.txt',
        webhookSecretFile: 's.txt',
      },
    });
  });

  it('list, show, remove and run', () => {
    assert.equal(parse(['list']).action, 'list');
    assert.deepEqual(
      (({ action, name }) => [action, name])(
        parse(['show', 'hello']) as Extract<SyncPlan, { action: 'show' }>,
      ),
      ['show', 'hello'],
    );
    assert.equal(parse(['remove', 'hello']).action, 'remove');
    const run = parse(['run', 'hello', '--version', '1.2.3', '--follow', '--json']);
    assert.deepEqual(run.action === 'run' && [run.name, run.version, run.mode, run.json], [
      'hello',
      '1.2.3',
      'follow',
      true,
    ]);
    const waiting = parse(['run', 'hello', '--version', '1.2.3', '-w']);
    assert.equal(waiting.action === 'run' && waiting.mode, 'wait');
    assert.equal((parse(['run', 'hello', '--version', '1']) as { mode: string }).mode, 'submit');
  });

  it('refuses missing operands, options of other subcommands and unknown subcommands', () => {
    rejects(['add', 'hello', '--file', 'x.nix'], 'KILN_ERR_VALIDATION', '--git URL and --file PATH');
    rejects(['add', '--git', 'u', '--file', 'x.nix'], 'KILN_ERR_VALIDATION', 'NAME');
    rejects(['run', 'hello'], 'KILN_ERR_VALIDATION', '--version');
    rejects(
      ['run', 'hello', '--version', '1', '--wait', '--follow'],
      'KILN_ERR_VALIDATION',
      'either --wait or --follow',
    );
    rejects(['show', 'hello', '--git', 'u'], 'KILN_ERR_VALIDATION', 'does not take --git');
    rejects(
      ['add', 'h', '--git', 'u', '--file', 'f.nix', '--version', '1'],
      'KILN_ERR_VALIDATION',
      'does not take --version',
    );
    rejects(['list', 'extra'], 'KILN_ERR_VALIDATION', "unexpected argument 'extra'");
    rejects(['frobnicate'], 'KILN_ERR_VALIDATION', "unknown subcommand 'kiln sync frobnicate'");
    rejects([], 'KILN_ERR_VALIDATION', 'needs a subcommand');
    rejects(['add', 'h', '--token-file', 'x'], 'KILN_ERR_UNKNOWN_OPTION', '--token-file');
    assert.deepEqual(parseCommandLine(['sync', '--help']), { command: 'help', topic: 'sync' });
  });

  it('the usage names every subcommand and option', () => {
    const text = usageText('sync');
    for (const word of [
      'sync add NAME',
      'sync run NAME --version',
      '--git-token-file',
      '--webhook-secret-file',
      '--tag-pattern',
      '/api/v1/hooks/version-sync/NAME',
    ]) {
      assert.ok(text.includes(word), word);
    }
    assert.match(usageText(undefined), /^ {2}sync /m);
  });

  it('show prints settings and whether secrets are set, with the webhook URL', () => {
    const view: VersionSyncView = {
      name: 'hello',
      repository: 'https://git.example/p.git',
      ref: null,
      file: 'package.nix',
      entry: null,
      attr: null,
      verify: null,
      systems: [],
      branch: 'kiln/bump-{name}-{version}',
      tagPattern: '^v?(\\d.*)$',
      hasToken: true,
      hasWebhookSecret: true,
      webhookPath: '/api/v1/hooks/version-sync/hello',
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    const lines = syncLines(view, 'http://kiln:7070');
    assert.ok(lines.includes('ref:           (remote HEAD)'), lines.join('\n'));
    assert.ok(lines.includes('git token:     set'));
    assert.ok(lines.includes('webhook:       http://kiln:7070/api/v1/hooks/version-sync/hello'));
    assert.ok(
      syncLines({ ...view, hasWebhookSecret: false }, 'x').includes(
        'webhook:       none (no webhook secret)',
      ),
    );
  });
});
