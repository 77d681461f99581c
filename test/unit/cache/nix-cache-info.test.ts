import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseNixCacheInfo, renderNixCacheInfo } from '../../../src/cache/index.js';

const isValidation = (error: unknown): boolean =>
  error instanceof Error && (error as { code?: unknown }).code === 'KILN_ERR_VALIDATION';

describe('nix-cache-info', () => {
  it('renders the documented example', () => {
    assert.equal(
      renderNixCacheInfo({ storeDir: '/nix/store', wantMassQuery: true, priority: 30 }),
      'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n',
    );
  });

  it('parses what nix copy --to file:// writes', () => {
    assert.deepEqual(parseNixCacheInfo('StoreDir: /nix/store\n'), {
      storeDir: '/nix/store',
      wantMassQuery: false,
    });
  });

  it('parses like Nix: trimmed values, unknown keys and colon-less lines ignored, only "1" is true', () => {
    const text = 'junk\nPriority:  40 \nX-Other: 1\nWantMassQuery: true\nStoreDir:/gnu/store';
    assert.deepEqual(parseNixCacheInfo(text), { storeDir: '/gnu/store', wantMassQuery: false, priority: 40 });
  });

  it('round-trips render → parse → render in any field order', () => {
    const info = fc
      .record(
        {
          storeDir: fc.constantFrom('/nix/store', '/gnu/store', '/opt/nix/store'),
          wantMassQuery: fc.boolean(),
          priority: fc.integer({ min: -100, max: 1000 }),
        },
        { requiredKeys: ['storeDir', 'wantMassQuery'] },
      )
      .map((value) => ({ ...value }));
    fc.assert(
      fc.property(info, (value) => {
        const text = renderNixCacheInfo(value);
        assert.deepEqual(parseNixCacheInfo(text), value);
        const reversed = `${text.trimEnd().split('\n').reverse().join('\n')}\n`;
        assert.equal(renderNixCacheInfo(parseNixCacheInfo(reversed)), text);
      }),
    );
  });

  it('rejects a non-numeric Priority and a relative StoreDir', () => {
    assert.throws(() => parseNixCacheInfo('StoreDir: /nix/store\nPriority: high\n'), isValidation);
    assert.throws(() => renderNixCacheInfo({ storeDir: 'nix/store', wantMassQuery: true }), isValidation);
  });
});
