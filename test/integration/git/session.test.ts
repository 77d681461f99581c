import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../src/errors/index.js';
import { openSession } from '../../../src/git/session.js';
import { validateGitUrl } from '../../../src/git/index.js';

const options = { sshBin: 'ssh', allowFile: false };
const remote = { allowLocal: false };

describe('git credential sessions', () => {
  it('puts a token only in the environment, behind a 0700 askpass script, and redacts it', async () => {
    const session = await openSession(
      validateGitUrl('https://git.example/o/r.git', remote),
      { token: 'tok-123' },
      options,
    );
    const askpass = session.env['GIT_ASKPASS'] ?? '';
    assert.equal(statSync(askpass).mode & 0o777, 0o700);
    assert.equal(statSync(session.env['HOME'] ?? '').mode & 0o777, 0o700);
    assert.ok(!readFileSync(askpass, 'utf8').includes('tok-123'));
    assert.equal(session.env['KILN_GIT_TOKEN'], 'tok-123');
    assert.equal(session.env['KILN_GIT_ORIGIN'], 'https://git.example');
    assert.ok(!session.configArgs.join(' ').includes('tok-123'));
    assert.equal(session.redact('fatal: bad tok-123 here tok-123'), 'fatal: bad *** here ***');
    await session.dispose();
    assert.equal(existsSync(askpass), false);
  });

  it('writes an SSH key to a 0600 file with its final newline and removes it', async () => {
    const session = await openSession(
      validateGitUrl('git@git.example:o/r.git', remote),
      { sshPrivateKey: 'KEY' },
      {
        ...options,
        knownHostsFile: '/etc/kiln/known_hosts',
      },
    );
    const command = session.env['GIT_SSH_COMMAND'] ?? '';
    const keyFile = /-i '([^']+)'/.exec(command)?.[1] ?? '';
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(readFileSync(keyFile, 'utf8'), 'KEY\n');
    assert.match(command, /StrictHostKeyChecking=yes .*UserKnownHostsFile=\/etc\/kiln\/known_hosts/);
    assert.equal(session.env['GIT_ASKPASS'], undefined);
    await session.dispose();
    assert.equal(existsSync(keyFile), false);
  });

  it('sets the minimal environment and pins the protocols', async () => {
    const session = await openSession(validateGitUrl('https://git.example/o/r.git', remote), {}, options);
    assert.deepEqual(Object.keys(session.env).sort(), [
      'GIT_CONFIG_GLOBAL',
      'GIT_CONFIG_NOSYSTEM',
      'GIT_TERMINAL_PROMPT',
      'HOME',
      'LC_ALL',
      'PATH',
    ]);
    assert.equal(session.env['GIT_TERMINAL_PROMPT'], '0');
    for (const setting of ['protocol.allow=never', 'protocol.ext.allow=never', 'protocol.file.allow=never']) {
      assert.ok(session.configArgs.includes(setting), setting);
    }
    await session.dispose();
  });

  it('refuses to send a token over plain http except to loopback', async () => {
    await assert.rejects(
      openSession(validateGitUrl('http://git.example/o/r.git', remote), { token: 't' }, options),
      (error: unknown) =>
        isKilnError(error) && error.code === 'KILN_ERR_GIT_URL' && !error.message.includes("'t'"),
    );
    for (const host of ['127.0.0.1:8080', 'localhost', '[::1]']) {
      const session = await openSession(
        validateGitUrl(`http://${host}/r.git`, remote),
        { token: 't' },
        options,
      );
      assert.ok(session.env['GIT_ASKPASS']);
      await session.dispose();
    }
  });
});
