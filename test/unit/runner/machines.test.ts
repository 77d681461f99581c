import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKilnError } from '../../../src/errors/index.js';
import { loadBuilders, machineSystems, parseMachines } from '../../../src/runner/nix/index.js';

const HOST_KEY = Buffer.from('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHswdPVCSo kiln-test\n').toString('base64');

/** The message of the KILN_ERR_CONFIG `fn` throws. */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isKilnError(error), String(error));
    assert.equal(error.code, 'KILN_ERR_CONFIG');
    return error.message;
  }
  assert.fail('no error thrown');
}

describe('parseMachines', () => {
  it('reads every field of a full line', () => {
    const [machine] = parseMachines(
      `ssh-ng://builder@arm.example?remote-store=/srv/store aarch64-linux,armv7l-linux /etc/kiln/id_builder 8 2 big-parallel,kvm kvm ${HOST_KEY}`,
    );
    assert.deepEqual(machine, {
      line: 1,
      storeUri: 'ssh-ng://builder@arm.example?remote-store=/srv/store',
      systems: ['aarch64-linux', 'armv7l-linux'],
      sshKey: '/etc/kiln/id_builder',
      maxJobs: 8,
      speedFactor: 2,
      supportedFeatures: ['big-parallel', 'kvm'],
      mandatoryFeatures: ['kvm'],
      publicHostKey: HOST_KEY,
    });
  });

  it('takes - and missing fields as Nix defaults, bare hosts as ssh://, comments and ; entries', () => {
    const machines = parseMachines(
      '# the build farm\n\nbuilder1.example x86_64-linux - 4 # four cores\n  ssh://root@10.0.0.2 ; ssh-ng://b3\n',
    );
    assert.deepEqual(
      machines.map((m) => [m.line, m.storeUri, m.systems, m.sshKey, m.maxJobs, m.speedFactor]),
      [
        [3, 'ssh://builder1.example', ['x86_64-linux'], null, 4, 1],
        [4, 'ssh://root@10.0.0.2', [], null, 1, 1],
        [5, 'ssh-ng://b3', [], null, 1, 1],
      ],
    );
    assert.deepEqual(machineSystems(machines, 'x86_64-linux'), ['x86_64-linux']);
    assert.deepEqual(machineSystems(parseMachines('ssh://a aarch64-linux;ssh://b -'), 'x86_64-linux'), [
      'aarch64-linux',
      'x86_64-linux',
    ]);
  });

  it('names the line and the problem for what Nix 2.8 would reject or misread', () => {
    const cases: [string, RegExp][] = [
      ['ssh://a x86_64-linux - 1 1 - - - extra', /line 1: 9 fields, but a machines line has at most 8/],
      ['ssh-ng://root@127.0.0.1:2222 x86_64-linux', /line 1: .*has a port.*nix\.sshOptions/],
      ['\nssh://a x86_64 - 1', /line 2: 'x86_64' is not a system/],
      ['ssh://a x86_64-linux keys/id 1', /line 1: the ssh key 'keys\/id' must be an absolute path/],
      ['ssh://a x86_64-linux - four', /line 1: max jobs must be a whole number >= 0.*'four'/],
      ['ssh://a x86_64-linux - 1 1.5', /line 1: speed factor must be a whole number >= 1.*'1\.5'/],
      ['ssh://a x86_64-linux - 1 0', /speed factor must be a whole number >= 1/],
      ['ssh://a x86_64-linux - 1 1 kvm,big/parallel', /line 1: 'big\/parallel' is not a supported feature/],
      ['ssh://a x86_64-linux - 1 1 kvm;-oProxyCommand', /line 2: .*is not a store URI/],
      ['ssh://a x86_64-linux - 1 1 - - bm90IGEga2V5', /line 1: the host key must be the base64/],
      ['ssh://a x86_64-linux - 1 1 - - %%%', /the host key must be the base64/],
      ['ssh://-oProxyCommand=x x86_64-linux', /is not a store URI nor a \[USER@\]HOST/],
      ['@/etc/nix/machines', /an @FILE include cannot appear/],
    ];
    for (const [text, expected] of cases) {
      assert.match(
        configError(() => parseMachines(text, 'machines')),
        expected,
        text,
      );
    }
    assert.match(
      configError(() => parseMachines('ssh://a x86_64 -', '/etc/kiln/m')),
      /^\/etc\/kiln\/m line 1/,
    );
  });

  it('accepts an empty text as no machines', () => {
    assert.deepEqual(parseMachines('\n# nothing yet\n'), []);
  });
});

describe('loadBuilders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-machines-'));
  const key = join(dir, 'id_builder');
  writeFileSync(key, 'not really a key\n', { mode: 0o600 });

  it('passes a machines file to Nix as @FILE and text as itself', async () => {
    const file = join(dir, 'machines');
    writeFileSync(file, `ssh-ng://root@b1 x86_64-linux ${key} 2\n`);
    const fromFile = await loadBuilders(file);
    assert.equal(fromFile.option, `@${file}`);
    assert.equal(fromFile.file, file);
    assert.equal(fromFile.machines[0]?.maxJobs, 2);
    assert.equal((await loadBuilders(`@${file}`)).option, `@${file}`);
    const text = `ssh-ng://root@b1 x86_64-linux ${key} 2`;
    assert.deepEqual(await loadBuilders(text), { option: text, file: null, machines: fromFile.machines });
    assert.deepEqual(await loadBuilders('  '), { option: '', file: null, machines: [] });
  });

  it('fails clearly for a missing file, a file without machines, an unreadable key', async () => {
    await assert.rejects(loadBuilders(join(dir, 'nope')), /cannot read the builders file .*nope: ENOENT/);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '# later\n');
    await assert.rejects(loadBuilders(empty), /empty names no machine/);
    await assert.rejects(
      loadBuilders(`ssh://b1 x86_64-linux ${join(dir, 'missing-key')}`),
      /nix\.builders line 1: cannot read the ssh key .*missing-key/,
    );
  });
});
