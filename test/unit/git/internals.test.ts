import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyGitFailure } from '../../../src/git/classify.js';
import { lsRemotePatterns, parseLsRemote, resolveFromListing } from '../../../src/git/ls-remote.js';
import { buildSshCommand, shellQuote } from '../../../src/git/ssh-command.js';

describe('buildSshCommand', () => {
  it('uses only the given key, strict host keys, batch mode and no ssh_config', () => {
    assert.equal(
      buildSshCommand({
        sshBin: 'ssh',
        keyFile: '/tmp/kiln-git-x/id_key',
        knownHostsFile: '/etc/kiln/known_hosts',
      }),
      "'ssh' -F /dev/null -i '/tmp/kiln-git-x/id_key' -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes " +
        "-o 'UserKnownHostsFile=/etc/kiln/known_hosts' -o BatchMode=yes",
    );
  });

  it('trusts no host when no known hosts are configured and sends no key when none is given', () => {
    const command = buildSshCommand({ sshBin: '/usr/bin/ssh' });
    assert.match(command, /'UserKnownHostsFile=\/dev\/null'/);
    assert.doesNotMatch(command, / -i /);
  });

  it('quotes paths so the shell git runs the command with sees one word each', () => {
    assert.equal(shellQuote("/tmp/it's here"), `'/tmp/it'\\''s here'`);
    assert.match(
      buildSshCommand({ sshBin: 'ssh', knownHostsFile: "/a b/'k" }),
      /'UserKnownHostsFile=\/a b\/'\\''k'/,
    );
  });
});

describe('classifyGitFailure', () => {
  const url = 'https://git.example/o/r.git';
  const code = (stderr: string[], ref?: string): string =>
    classifyGitFailure({ url, stderr, exitCode: 128, ...(ref !== undefined && { ref }) }).code;

  it('tells bad credentials, missing repositories and unknown refs apart', () => {
    assert.equal(
      code(["fatal: could not read Username for 'https://git.example': terminal prompts disabled"]),
      'KILN_ERR_GIT_AUTH',
    );
    assert.equal(
      code(["fatal: Authentication failed for 'https://git.example/o/r.git/'"]),
      'KILN_ERR_GIT_AUTH',
    );
    assert.equal(
      code(["fatal: unable to access 'https://git.example/o/r.git/': The requested URL returned error: 403"]),
      'KILN_ERR_GIT_AUTH',
    );
    assert.equal(
      code([
        'git@git.example: Permission denied (publickey).',
        'fatal: Could not read from remote repository.',
      ]),
      'KILN_ERR_GIT_AUTH',
    );
    assert.equal(
      code(["fatal: repository 'https://git.example/o/r.git/' not found"]),
      'KILN_ERR_GIT_REPO_NOT_FOUND',
    );
    assert.equal(
      code([
        "fatal: '/srv/x.git' does not appear to be a git repository",
        'fatal: Could not read from remote repository.',
      ]),
      'KILN_ERR_GIT_REPO_NOT_FOUND',
    );
    assert.equal(
      code(['ERROR: Repository not found.', 'fatal: Could not read from remote repository.']),
      'KILN_ERR_GIT_REPO_NOT_FOUND',
    );
    assert.equal(
      code(["fatal: unable to access 'https://git.example/o/r.git/': Could not resolve host: git.example"]),
      'KILN_ERR_GIT_REPO_NOT_FOUND',
    );
    assert.equal(
      code(['fatal: Remote branch nope not found in upstream origin'], 'nope'),
      'KILN_ERR_GIT_REF_NOT_FOUND',
    );
    assert.equal(
      code(['fatal: remote error: upload-pack: not our ref 1111111111111111111111111111111111111111']),
      'KILN_ERR_GIT_REF_NOT_FOUND',
    );
    assert.equal(code(["fatal: couldn't find remote ref refs/pull/1/head"]), 'KILN_ERR_GIT_REF_NOT_FOUND');
  });

  it('reports host key failures and anything else as KILN_ERR_GIT', () => {
    assert.equal(
      code(['Host key verification failed.', 'fatal: Could not read from remote repository.']),
      'KILN_ERR_GIT',
    );
    assert.equal(code(['fatal: early EOF']), 'KILN_ERR_GIT');
  });

  it('tells the user which options carry credentials', () => {
    const error = classifyGitFailure({ url, stderr: ['fatal: Authentication failed'], exitCode: 128 });
    assert.match(error.message, /--git-token-file/);
    assert.match(error.message, /--ssh-key-file/);
  });

  it('reports a timeout as such', () => {
    const error = classifyGitFailure({ url, stderr: [], exitCode: null, timedOut: true, timeoutMs: 5 });
    assert.equal(error.code, 'KILN_ERR_GIT');
    assert.match(error.message, /timed out after 5 ms/);
  });
});

describe('ls-remote resolution', () => {
  const a = 'a'.repeat(40);
  const b = 'b'.repeat(40);
  const c = 'c'.repeat(40);
  const listing = parseLsRemote([
    'ref: refs/heads/main\tHEAD',
    `${a}\tHEAD`,
    `${a}\trefs/heads/main`,
    `${b}\trefs/heads/feature/main`,
    `${b}\trefs/tags/v1`,
    `${c}\trefs/tags/v1^{}`,
    `${b}\trefs/tags/main`,
  ]);

  it('follows HEAD to its branch', () => {
    assert.deepEqual(resolveFromListing(listing, undefined), { commit: a, ref: 'refs/heads/main' });
    assert.deepEqual(resolveFromListing(listing, 'HEAD'), { commit: a, ref: 'refs/heads/main' });
  });

  it('prefers the exact branch over tail matches and tags, as git does', () => {
    assert.deepEqual(resolveFromListing(listing, 'main'), { commit: a, ref: 'refs/heads/main' });
  });

  it('peels annotated tags to their commit', () => {
    assert.deepEqual(resolveFromListing(listing, 'v1'), { commit: c, ref: 'refs/tags/v1' });
    assert.deepEqual(resolveFromListing(listing, 'refs/tags/v1'), { commit: c, ref: 'refs/tags/v1' });
  });

  it('finds nothing for a name that only tail-matches', () => {
    assert.equal(resolveFromListing(listing, 'feature'), null);
    assert.equal(resolveFromListing(parseLsRemote([`${b}\trefs/heads/feature/main`]), 'main'), null);
  });

  it('asks ls-remote for peeled tag lines', () => {
    assert.deepEqual(lsRemotePatterns('v1'), ['refs/heads/v1', 'refs/tags/v1', 'refs/tags/v1^{}']);
    assert.deepEqual(lsRemotePatterns('HEAD'), ['HEAD']);
  });
});
