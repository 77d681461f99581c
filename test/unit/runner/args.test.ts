import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildEnv,
  checkValidityArgs,
  commonOptions,
  evalArgs,
  instantiateArgs,
  parseArgs,
  pathInfoArgs,
  realiseArgs,
  showDerivationArgs,
  storeArgs,
  versionArgs,
  type NixSettings,
} from '../../../src/runner/nix/index.js';

const settings: NixSettings = {
  sandbox: true,
  sandboxShell: '/bin/busybox',
  extraPlatforms: ['i686-linux', 'armv7l-linux'],
  cores: 4,
  maxJobs: 2,
};

/** The value given to `--option NAME`, checking it appears exactly once. */
function optionValue(args: readonly string[], name: string): string | undefined {
  const at = args.flatMap((a, i) => (a === '--option' && args[i + 1] === name ? [i] : []));
  assert.ok(at.length <= 1, `--option ${name} given ${at.length} times`);
  return at[0] === undefined ? undefined : args[at[0] + 2];
}

describe('commonOptions', () => {
  it('sets every setting kiln relies on, independent of nix.conf', () => {
    const args = commonOptions(settings);
    assert.equal(optionValue(args, 'sandbox'), 'true');
    assert.equal(optionValue(args, 'sandbox-fallback'), 'false');
    assert.equal(optionValue(args, 'sandbox-paths'), '/bin/sh=/bin/busybox');
    assert.equal(optionValue(args, 'build-users-group'), '');
    assert.equal(optionValue(args, 'substituters'), '');
    assert.equal(optionValue(args, 'extra-platforms'), 'i686-linux armv7l-linux');
    assert.equal(optionValue(args, 'experimental-features'), 'nix-command flakes');
    assert.equal(optionValue(args, 'cores'), '4');
    assert.equal(optionValue(args, 'max-jobs'), '2');
    assert.equal(args.length % 3, 0, 'only --option NAME VALUE triples');
  });

  it('turns the sandbox off and lists substituters when configured', () => {
    const args = commonOptions({
      ...settings,
      sandbox: false,
      substituters: ['https://a', 'https://b'],
      extraPlatforms: [],
    });
    assert.equal(optionValue(args, 'sandbox'), 'false');
    assert.equal(optionValue(args, 'substituters'), 'https://a https://b');
    assert.equal(optionValue(args, 'extra-platforms'), '');
  });

  it('passes trusted-public-keys only when configured (nix.conf decides otherwise)', () => {
    assert.equal(optionValue(commonOptions(settings), 'trusted-public-keys'), undefined);
    const args = commonOptions({ ...settings, trustedPublicKeys: ['team-1:abc=', 'other-1:def='] });
    assert.equal(optionValue(args, 'trusted-public-keys'), 'team-1:abc= other-1:def=');
  });

  it('refuses max-jobs 0 (no local builds) and negative cores', () => {
    assert.throws(() => commonOptions({ ...settings, maxJobs: 0 }), RangeError);
    assert.throws(() => commonOptions({ ...settings, cores: -1 }), RangeError);
    assert.throws(() => commonOptions({ ...settings, cores: 1.5 }), RangeError);
  });
});

describe('argument builders', () => {
  it('parse check: nix-instantiate --parse with the file after --', () => {
    const { command, args } = parseArgs('/opt/nix/bin', settings, '/w/default.nix');
    assert.equal(command, '/opt/nix/bin/nix-instantiate');
    assert.equal(args[0], '--parse');
    assert.deepEqual(args.slice(-2), ['--', '/w/default.nix']);
    assert.equal(args[args.indexOf('--log-format') + 1], 'internal-json');
  });

  it('evaluation: system and attribute are optional', () => {
    const plain = instantiateArgs('/usr/bin', settings, { file: '/w/e.nix' });
    assert.equal(plain.command, '/usr/bin/nix-instantiate');
    assert.equal(optionValue(plain.args, 'system'), undefined);
    assert.ok(!plain.args.includes('--attr'));
    assert.ok(!plain.args.includes('--parse'));
    const full = instantiateArgs('/usr/bin', settings, {
      file: '/w/e.nix',
      system: 'i686-linux',
      attr: 'a.b',
    });
    assert.equal(optionValue(full.args, 'system'), 'i686-linux');
    assert.equal(full.args[full.args.indexOf('--attr') + 1], 'a.b');
    assert.deepEqual(full.args.slice(-2), ['--', '/w/e.nix']);
  });

  it('realise: roots, timeouts and structured logs', () => {
    const { command, args } = realiseArgs('/usr/bin', settings, {
      drvPaths: ['/nix/store/a.drv', '/nix/store/b.drv!dev'],
      gcRoot: '/data/gcroots/b1/result',
      timeoutSeconds: 90,
      maxSilentSeconds: 2.2,
    });
    assert.equal(command, '/usr/bin/nix-store');
    assert.equal(args[0], '--realise');
    assert.equal(args[args.indexOf('--log-format') + 1], 'internal-json');
    assert.equal(args[args.indexOf('--timeout') + 1], '90');
    assert.equal(args[args.indexOf('--max-silent-time') + 1], '3');
    assert.deepEqual(args.slice(args.indexOf('--add-root'), args.indexOf('--add-root') + 3), [
      '--add-root',
      '/data/gcroots/b1/result',
      '--indirect',
    ]);
    assert.deepEqual(args.slice(-3), ['--', '/nix/store/a.drv', '/nix/store/b.drv!dev']);
    assert.ok(!args.includes('--keep-going'));
  });

  it('realise without a root and with no limits', () => {
    const { args } = realiseArgs('/usr/bin', settings, {
      drvPaths: ['/nix/store/a.drv'],
      timeoutSeconds: 0,
      maxSilentSeconds: 0,
    });
    assert.ok(!args.includes('--add-root'));
    assert.equal(args[args.indexOf('--timeout') + 1], '0');
    assert.throws(() =>
      realiseArgs('/usr/bin', settings, { drvPaths: [], timeoutSeconds: 0, maxSilentSeconds: 0 }),
    );
    assert.throws(() =>
      realiseArgs('/usr/bin', settings, {
        drvPaths: ['/nix/store/a.drv'],
        timeoutSeconds: -1,
        maxSilentSeconds: 0,
      }),
    );
  });

  it('closure size: one recursive path-info call', () => {
    const { command, args } = pathInfoArgs('/usr/bin', settings, ['/nix/store/x', '/nix/store/y']);
    assert.equal(command, '/usr/bin/nix');
    assert.deepEqual(args.slice(0, 3), ['path-info', '--recursive', '--json']);
    assert.deepEqual(args.slice(-3), ['--', '/nix/store/x', '/nix/store/y']);
    assert.equal(optionValue(args, 'experimental-features'), 'nix-command flakes');
  });

  it('version', () => {
    assert.deepEqual(versionArgs('/usr/bin'), { command: '/usr/bin/nix-store', args: ['--version'] });
  });
});

describe('buildEnv', () => {
  it('is exactly PATH, HOME and LANG, plus NIX_PATH when configured', () => {
    assert.deepEqual(buildEnv({ binDir: '/opt/nix/bin', home: '/var/lib/kiln' }), {
      PATH: '/opt/nix/bin:/usr/bin:/bin',
      HOME: '/var/lib/kiln',
      LANG: 'C.UTF-8',
    });
    assert.deepEqual(buildEnv({ binDir: '/usr/bin', home: '/h', nixPath: '' }).NIX_PATH, undefined);
    assert.equal(
      buildEnv({ binDir: '/usr/bin', home: '/h', nixPath: 'nixpkgs=/src/nixpkgs' }).NIX_PATH,
      'nixpkgs=/src/nixpkgs',
    );
  });

  it('does not leak the parent environment', () => {
    process.env.KILN_SECRET_FOR_TEST = 'x';
    try {
      const env = buildEnv({ binDir: '/usr/bin', home: '/h' });
      assert.ok(!('KILN_SECRET_FOR_TEST' in env));
    } finally {
      delete process.env.KILN_SECRET_FOR_TEST;
    }
  });
});

describe('a worker with its own store and remote builders', () => {
  const worker: NixSettings = {
    ...settings,
    store: '/srv/kiln/w1',
    builders: '@/etc/kiln/machines',
  };

  it('gives every command that touches the store --store, once', () => {
    const invocations = [
      parseArgs('/nix/bin', worker, '/tmp/a.nix'),
      instantiateArgs('/nix/bin', worker, { file: '/tmp/a.nix' }),
      realiseArgs('/nix/bin', worker, {
        drvPaths: ['/nix/store/x.drv'],
        timeoutSeconds: 0,
        maxSilentSeconds: 0,
      }),
      pathInfoArgs('/nix/bin', worker, ['/nix/store/x']),
      evalArgs('/nix/bin', worker, { expr: '1' }),
      showDerivationArgs('/nix/bin', worker, ['/nix/store/x.drv']),
      checkValidityArgs('/nix/bin', ['/nix/store/x'], worker),
    ];
    for (const { command, args } of invocations) {
      const at = args.flatMap((a, i) => (a === '--store' ? [i] : []));
      assert.equal(at.length, 1, `${command} ${args.join(' ')}`);
      assert.equal(args[at[0]! + 1], '/srv/kiln/w1');
      // Options come before `--`, after which only paths follow.
      const end = args.indexOf('--');
      if (end >= 0) assert.ok(at[0]! < end);
    }
    assert.ok(!commonOptions(settings).includes('--store'));
    assert.ok(!checkValidityArgs('/nix/bin', ['/nix/store/x']).args.includes('--store'));
    assert.deepEqual(storeArgs({ store: '' }), []);
  });

  it('passes builders and builders-use-substitutes, and clears builders otherwise', () => {
    const args = commonOptions(worker);
    assert.equal(optionValue(args, 'builders'), '@/etc/kiln/machines');
    assert.equal(optionValue(args, 'builders-use-substitutes'), 'true');
    assert.equal(
      optionValue(commonOptions({ ...worker, buildersUseSubstitutes: false }), 'builders-use-substitutes'),
      'false',
    );
    // nix.conf's builders never apply to kiln's builds.
    assert.equal(optionValue(commonOptions(settings), 'builders'), '');
    assert.equal(optionValue(commonOptions(settings), 'builders-use-substitutes'), undefined);
  });

  it('hands NIX_SSHOPTS to Nix only when set', () => {
    assert.equal(buildEnv({ binDir: '/b', home: '/h', sshOptions: '-p 2222' }).NIX_SSHOPTS, '-p 2222');
    assert.equal(buildEnv({ binDir: '/b', home: '/h' }).NIX_SSHOPTS, undefined);
  });
});
