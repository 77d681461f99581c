import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stripAnsi } from '../../../src/runner/nix/index.js';

describe('stripAnsi', () => {
  it('removes the colour codes Nix uses', () => {
    assert.equal(
      stripAnsi("\u001b[31;1merror:\u001b[0m builder for '\u001b[35;1m/nix/store/x.drv\u001b[0m' failed"),
      "error: builder for '/nix/store/x.drv' failed",
    );
  });

  it('removes cursor movement, OSC titles and hyperlinks, and two-byte escapes', () => {
    assert.equal(stripAnsi('a\u001b[2Kb\u001b[1Ac'), 'abc');
    assert.equal(stripAnsi('\u001b]0;title\u0007text'), 'text');
    assert.equal(stripAnsi('\u001b]8;;https://x\u001b\\link\u001b]8;;\u001b\\'), 'link');
    assert.equal(stripAnsi('x\u001bMy'), 'xy');
  });

  it('leaves text without escapes (including other control characters and Unicode) alone', () => {
    assert.equal(stripAnsi('tab\there ünïcödé 🚀'), 'tab\there ünïcödé 🚀');
  });

  it('removes every complete sequence and is idempotent (property)', () => {
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '\u001b[0m',
        '\u001b[31;1m',
        '\u001b[35;1m',
        '\u001b[2K',
        '\u001b[1A',
        '\u001b]0;t\u0007',
      ),
    );
    fc.assert(
      fc.property(fc.array(piece), (pieces) => {
        const once = stripAnsi(pieces.join(''));
        assert.equal(stripAnsi(once), once);
        // Every escape in the input starts a complete sequence, so none may survive.
        assert.ok(!once.includes('\u001b'));
      }),
    );
  });
});
