import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/index.js';
import { isKilnError } from '../../../src/errors/index.js';

describe('registry.compression (image layer compression)', () => {
  it('defaults to gzip, which every runtime reads', () => {
    assert.equal(loadConfig({ dataDir: '/d' }, {}).registry.compression, 'gzip');
    assert.equal(loadConfig({ dataDir: '/d' }, { KILN_IMAGE_COMPRESSION: '' }).registry.compression, 'gzip');
  });

  it('takes zstd or gzip from KILN_IMAGE_COMPRESSION', () => {
    assert.equal(
      loadConfig({ dataDir: '/d' }, { KILN_IMAGE_COMPRESSION: 'zstd' }).registry.compression,
      'zstd',
    );
    assert.equal(
      loadConfig({ dataDir: '/d' }, { KILN_IMAGE_COMPRESSION: 'gzip' }).registry.compression,
      'gzip',
    );
  });

  it('lets explicit input win over the environment', () => {
    const config = loadConfig(
      { dataDir: '/d', registry: { compression: 'gzip' } },
      { KILN_IMAGE_COMPRESSION: 'zstd' },
    );
    assert.equal(config.registry.compression, 'gzip');
  });

  it('refuses other methods with a config error naming the setting', () => {
    for (const value of ['xz', 'none', 'ZSTD', 'zstd ']) {
      assert.throws(
        () => loadConfig({ dataDir: '/d' }, { KILN_IMAGE_COMPRESSION: value }),
        (error: unknown) =>
          isKilnError(error) &&
          error.code === 'KILN_ERR_CONFIG' &&
          /registry\/compression/.test(error.message),
        value,
      );
    }
  });
});
