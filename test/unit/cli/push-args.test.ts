import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine } from '../../../src/cli/args/index.js';
import { summaryLine } from '../../../src/cli/commands/push.js';
import { isKilnError } from '../../../src/errors/index.js';

const rejects = (argv: string[], pattern: RegExp): void =>
  assert.throws(
    () => parseCommandLine(argv),
    (error: unknown) => isKilnError(error) && pattern.test(error.message),
  );

describe('kiln push arguments', () => {
  it('takes a cache, paths, --jobs and --json', () => {
    assert.deepEqual(
      parseCommandLine(['push', 'team', './result', '/nix/store/x', '--jobs', '4', '--json']),
      {
        command: 'push',
        client: { server: undefined, token: undefined, dataDir: undefined },
        cache: 'team',
        paths: ['./result', '/nix/store/x'],
        jobs: 4,
        json: true,
      },
    );
  });

  it('needs a cache and at least one path, and a sane job count', () => {
    rejects(['push'], /needs CACHE and at least one PATH/);
    rejects(['push', 'team'], /needs CACHE and at least one PATH/);
    rejects(['push', 'team', 'p', '--jobs', '0'], /--jobs' must be between 1 and 64/);
    rejects(['push', 'team', 'p', '--bogus'], /unknown option '--bogus'/);
  });

  it('shows its help', () => {
    assert.deepEqual(parseCommandLine(['push', '--help']), { command: 'help', topic: 'push' });
  });

  it('build takes --push CACHE', () => {
    const plan = parseCommandLine(['build', '--expr', '1', '--push', 'team']);
    assert.equal(plan.command === 'build' ? plan.push : undefined, 'team');
  });
});

describe('push summary line', () => {
  const base = { cache: 'team', closure: 3, alreadyPresent: 0, seconds: 1.25, pushedPaths: [] };
  it('says what went up and what was there', () => {
    assert.equal(
      summaryLine({ ...base, pushed: 3, bytesUploaded: 2048, narBytes: 10240 }),
      'pushed 3 path(s), 2.0 KiB compressed (10.0 KiB NAR) to team in 1.3 s; 0 already present',
    );
    assert.equal(
      summaryLine({ ...base, pushed: 0, alreadyPresent: 3, bytesUploaded: 0, narBytes: 0 }),
      'nothing to push to team in 1.3 s; 3 already present',
    );
  });
});
