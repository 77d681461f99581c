import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../src/errors/index.js';
import { GitClient, validateAttrPath, validateGitRef, validateGitUrl } from '../../../src/git/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { hostileCorpus } from '../../unit/git/corpus.js';
import { makeFixtureRepo } from '../../helpers/git-repos.js';

const client = new GitClient({ timeoutMs: 30_000 });

describe('hostile input through validate-then-lsRemote', () => {
  it('the ext:: payload is live: git with ext allowed does create the marker', (t) => {
    const marker = join(tempDir(t), 'marker');
    try {
      execFileSync('git', ['-c', 'protocol.ext.allow=always', 'ls-remote', `ext::sh -c touch% ${marker}`], {
        stdio: 'ignore',
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
        },
      });
    } catch {
      // ls-remote fails once touch exits without speaking git; the side effect is what matters.
    }
    assert.equal(existsSync(marker), true);
  });

  it('rejects every corpus entry with KILN_ERR_GIT_URL and runs nothing', async (t) => {
    const dir = tempDir(t, 'kiln-git-hostile-');
    const marker = join(dir, 'marker');
    const origin = join(dir, 'origin');
    makeFixtureRepo(origin);
    const goodUrl = validateGitUrl(`file://${origin}`, { allowLocal: true });
    for (const entry of hostileCorpus(marker)) {
      // What a submit does: validate everything, then check the branch with git.
      const submit = async (): Promise<void> => {
        if (entry.kind === 'url') {
          await client.lsRemote(
            validateGitUrl(entry.value, entry.policy ?? { allowLocal: true }),
            'main',
            {},
          );
        } else if (entry.kind === 'ref') {
          await client.lsRemote(goodUrl, validateGitRef(entry.value), {});
        } else {
          validateAttrPath(entry.value);
          await client.lsRemote(goodUrl, 'main', {});
        }
      };
      await assert.rejects(submit(), (error: unknown) => {
        assert.ok(isKilnError(error), `${JSON.stringify(entry.value)}: ${String(error)}`);
        assert.equal(error.code, 'KILN_ERR_GIT_URL', `${JSON.stringify(entry.value)}: ${error.message}`);
        return true;
      });
      assert.equal(existsSync(marker), false, `${JSON.stringify(entry.value)} created the marker`);
    }
  });

  it('still runs nothing when a hostile URL bypasses validation (defence in depth)', async (t) => {
    const dir = tempDir(t, 'kiln-git-bypass-');
    const marker = join(dir, 'marker');
    const forged = [`ext::sh -c touch% ${marker}`, `--upload-pack=touch ${marker}`, `fd::0`];
    for (const url of forged) {
      await assert.rejects(
        client.lsRemote({ url, kind: 'https', host: null }, 'main', {}),
        (error: unknown) => isKilnError(error) && error.code !== 'KILN_ERR_INTERNAL',
      );
      await assert.rejects(
        client.clone({ url, kind: 'https', host: null }, 'main', join(dir, 'c'), { credentials: {} }),
        (error: unknown) => isKilnError(error),
      );
      assert.equal(existsSync(marker), false, `${url} created the marker`);
    }
  });
});
