import assert from 'node:assert/strict';
import { chmodSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../src/errors/index.js';
import { SecretBox, loadOrCreateMasterKey } from '../../../src/secrets/index.js';
import { tempDir } from '../../helpers/tmp.js';

describe('loadOrCreateMasterKey', () => {
  it('creates a 32-byte key file with mode 0600 and no leftovers', async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'master.key');
    const key = await loadOrCreateMasterKey(path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path).length, 32);
    assert.deepEqual(new Uint8Array(readFileSync(path)), new Uint8Array(key.key));
    assert.deepEqual(readdirSync(dir), ['master.key']);
  });

  it('reuses the same key on reload, so old ciphertexts still open', async (t) => {
    const path = join(tempDir(t), 'master.key');
    const first = await loadOrCreateMasterKey(path);
    const sealed = new SecretBox(first).encrypt('kept', 'ad');
    const second = await loadOrCreateMasterKey(path);
    assert.equal(second.id, first.id);
    assert.equal(new SecretBox(second).decryptString(sealed, 'ad'), 'kept');
  });

  it('refuses a key file readable by group or others', async (t) => {
    const path = join(tempDir(t), 'master.key');
    writeFileSync(path, randomBytes(32), { mode: 0o600 });
    for (const mode of [0o640, 0o604, 0o660]) {
      chmodSync(path, mode);
      await assert.rejects(loadOrCreateMasterKey(path), (error: unknown) => {
        assert.ok(isKilnError(error));
        assert.equal(error.code, 'KILN_ERR_CONFIG');
        assert.match(error.message, /accessible by group or others.*chmod 600/);
        return true;
      });
    }
    // The refused file is left alone, not replaced by a new key.
    assert.equal(statSync(path).mode & 0o777, 0o660);
  });

  it('refuses a key file of the wrong size', async (t) => {
    const path = join(tempDir(t), 'master.key');
    writeFileSync(path, randomBytes(31), { mode: 0o600 });
    await assert.rejects(loadOrCreateMasterKey(path), { code: 'KILN_ERR_CONFIG' });
  });
});
