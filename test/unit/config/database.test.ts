import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/index.js';

describe('config: database', () => {
  it('defaults to SQLite (no URL)', () => {
    assert.equal(loadConfig({ dataDir: '/tmp/k' }, {}).database.url, '');
  });

  it('takes KILN_DATABASE_URL, and explicit input wins over it', () => {
    const env = { KILN_DATABASE_URL: 'postgres://kiln@db:5432/kiln' };
    assert.equal(loadConfig({ dataDir: '/tmp/k' }, env).database.url, 'postgres://kiln@db:5432/kiln');
    const explicit = loadConfig({ dataDir: '/tmp/k', database: { url: 'postgresql://other/x' } }, env);
    assert.equal(explicit.database.url, 'postgresql://other/x');
  });

  it('refuses a URL that is not PostgreSQL without echoing it (it may hold a password)', () => {
    assert.throws(
      () => loadConfig({ dataDir: '/tmp/k' }, { KILN_DATABASE_URL: 'mysql://u:hunter2@db/x' }),
      (error: Error) =>
        /KILN_ERR_CONFIG|postgres/.test(`${error.message}`) && !error.message.includes('hunter2'),
    );
  });
});
