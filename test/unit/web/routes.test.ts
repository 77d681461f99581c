import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findRoute, matchRoute } from '../../../src/web/client/routes.js';

describe('matchRoute', () => {
  it('matches literal paths and the root', () => {
    assert.deepEqual(matchRoute('/', '/'), {});
    assert.deepEqual(matchRoute('/projects', '/projects'), {});
    assert.deepEqual(matchRoute('/projects', '/projects/'), {});
    assert.equal(matchRoute('/projects', '/'), null);
    assert.equal(matchRoute('/', '/projects'), null);
  });

  it('captures and decodes named segments', () => {
    assert.deepEqual(matchRoute('/builds/:id', '/builds/01abc'), { id: '01abc' });
    assert.deepEqual(matchRoute('/projects/:name/builds/:id', '/projects/my%20app/builds/7'), {
      name: 'my app',
      id: '7',
    });
  });

  it('rejects missing, extra and undecodable segments', () => {
    assert.equal(matchRoute('/builds/:id', '/builds'), null);
    assert.equal(matchRoute('/builds/:id', '/builds/'), null);
    assert.equal(matchRoute('/builds/:id', '/builds/1/log'), null);
    assert.equal(matchRoute('/builds/:id', '/builds/%E0%A4%A'), null);
  });
});

describe('findRoute', () => {
  it('takes the first matching entry of the table', () => {
    const table: [string, string][] = [
      ['/', 'list'],
      ['/builds/:id', 'build'],
      ['/builds/new', 'never'],
    ];
    assert.deepEqual(findRoute(table, '/builds/new'), {
      page: 'build',
      params: { id: 'new' },
      pattern: '/builds/:id',
    });
    assert.equal(findRoute(table, '/x')?.page, undefined);
    assert.equal(findRoute(table, '/')?.page, 'list');
  });
});
