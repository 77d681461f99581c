import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sumClosureNarSize } from '../../../src/runner/nix/index.js';

describe('sumClosureNarSize', () => {
  it('sums the Nix 2.8 array form, counting each path once', () => {
    const json = JSON.stringify([
      { path: '/nix/store/a', narSize: 120, references: ['/nix/store/c'] },
      { path: '/nix/store/b', narSize: 200 },
      { path: '/nix/store/c', narSize: 1000 },
      { path: '/nix/store/c', narSize: 1000 },
    ]);
    assert.equal(sumClosureNarSize(json), 1320);
  });

  it('sums the newer object form', () => {
    assert.equal(
      sumClosureNarSize(JSON.stringify({ '/nix/store/a': { narSize: 5 }, '/nix/store/b': { narSize: 7 } })),
      12,
    );
    assert.equal(sumClosureNarSize('[]'), 0);
  });

  it('rejects invalid paths and malformed output', () => {
    assert.throws(
      () => sumClosureNarSize(JSON.stringify({ '/nix/store/a': null })),
      /not a valid store path/,
    );
    assert.throws(() => sumClosureNarSize(JSON.stringify([{ path: '/nix/store/a' }])), /no narSize/);
    assert.throws(() => sumClosureNarSize(JSON.stringify([{ narSize: 1 }])), /without a path/);
    assert.throws(() => sumClosureNarSize('42'), /array or object/);
    assert.throws(() => sumClosureNarSize('not json'));
  });
});
