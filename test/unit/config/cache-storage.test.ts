import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/index.js';
import { isKilnError } from '../../../src/errors/index.js';

const isConfigError = (error: unknown): boolean => isKilnError(error) && error.code === 'KILN_ERR_CONFIG';

describe('cache.storage configuration', () => {
  it('defaults to the filesystem under DATA/warehouse', () => {
    const config = loadConfig({ dataDir: '/tmp/kiln-x' }, { AWS_ACCESS_KEY_ID: 'ignored-for-fs' });
    assert.equal(config.cache.storage.kind, 'fs');
    assert.equal(config.cache.storageDir, '/tmp/kiln-x/warehouse');
    assert.equal(config.cache.storage.presignDownloads, false);
  });

  it('takes S3 credentials and region from the standard AWS variables, config first', () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIAENV',
      AWS_SECRET_ACCESS_KEY: 'env-secret',
      AWS_REGION: 'eu-west-1',
    };
    const fromEnv = loadConfig(
      { dataDir: '/tmp/kiln-x', cache: { storage: { kind: 's3', bucket: 'b' } } },
      env,
    );
    assert.equal(fromEnv.cache.storage.accessKeyId, 'AKIAENV');
    assert.equal(fromEnv.cache.storage.secretAccessKey, 'env-secret');
    assert.equal(fromEnv.cache.storage.region, 'eu-west-1');
    const explicit = loadConfig(
      {
        dataDir: '/tmp/kiln-x',
        cache: { storage: { kind: 's3', bucket: 'b', accessKeyId: 'AKIACFG', secretAccessKey: 'cfg' } },
      },
      env,
    );
    assert.equal(explicit.cache.storage.accessKeyId, 'AKIACFG');
    assert.equal(explicit.cache.storage.secretAccessKey, 'cfg');
  });

  it('defaults the region to us-east-1 and leaves credentials to the SDK when none are given', () => {
    const config = loadConfig(
      { dataDir: '/tmp/kiln-x', cache: { storage: { kind: 's3', bucket: 'b' } } },
      {},
    );
    assert.equal(config.cache.storage.region, 'us-east-1');
    assert.equal(config.cache.storage.accessKeyId, '');
  });

  it('refuses S3 storage without a bucket, half a key pair, a bad endpoint or tiny parts', () => {
    const s3 = (storage: Record<string, unknown>) => () =>
      loadConfig({ dataDir: '/tmp/kiln-x', cache: { storage: { kind: 's3', ...storage } } }, {});
    assert.throws(s3({}), isConfigError);
    assert.throws(s3({ bucket: 'b', accessKeyId: 'AKIA' }), isConfigError);
    assert.throws(s3({ bucket: 'b', endpoint: 'minio:9000' }), isConfigError);
    assert.throws(s3({ bucket: 'b', partSizeBytes: 1024 }), isConfigError);
    assert.throws(s3({ bucket: 'b', kind: 'ftp' }), isConfigError);
  });
});

describe('cache.storage from KILN_CACHE_S3_* variables', () => {
  it('a bucket turns S3 on; endpoint, prefix, path style and presigning follow', () => {
    const config = loadConfig(
      { dataDir: '/tmp/kiln-x' },
      {
        KILN_CACHE_S3_BUCKET: 'nix',
        KILN_CACHE_S3_ENDPOINT: 'http://127.0.0.1:9000',
        KILN_CACHE_S3_PREFIX: 'kiln',
        KILN_CACHE_S3_PATH_STYLE: '1',
        KILN_CACHE_S3_PRESIGN: '1',
        AWS_ACCESS_KEY_ID: 'AKIA',
        AWS_SECRET_ACCESS_KEY: 's',
      },
    );
    const storage = config.cache.storage;
    assert.deepEqual(
      [
        storage.kind,
        storage.bucket,
        storage.endpoint,
        storage.prefix,
        storage.forcePathStyle,
        storage.presignDownloads,
      ],
      ['s3', 'nix', 'http://127.0.0.1:9000', 'kiln', true, true],
    );
  });

  it('refuses a flag that is not 0 or 1', () => {
    assert.throws(
      () =>
        loadConfig({ dataDir: '/tmp/kiln-x' }, { KILN_CACHE_S3_BUCKET: 'b', KILN_CACHE_S3_PRESIGN: 'yes' }),
      isConfigError,
    );
  });
});
