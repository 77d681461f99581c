import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  derivationOutputHash,
  describeHash,
  formatHash,
  placeholderFor,
  readHash,
  sameHash,
  type HashSlot,
} from '../../../../src/packaging/bump/hash-slots.js';
import { splitCommandLine } from '../../../../src/packaging/bump/smoke.js';
import { parseHashMismatches } from '../../../../src/runner/nix/index.js';
import { isKilnError } from '../../../../src/errors/index.js';

const SRI = 'sha256-qZMyGnM3X9bsgblDLJFtP6lJ2R6/ANSkJWN4NZPRTM0=';
const NIX32 = '1kacs69kay334njd805z3vclka9zdn8jqhxrh7ndcprpfcd354x9';

function slot(index: number): HashSlot {
  return { index, path: `h${index}`, system: undefined, old: undefined, algo: 'sha256', style: 'sri' };
}

describe('bump hash slots', () => {
  it('keeps the style the file used', () => {
    assert.deepEqual(describeHash(SRI, 'hash'), { algo: 'sha256', style: 'sri' });
    assert.deepEqual(describeHash(NIX32, 'sha256'), { algo: 'sha256', style: 'nix32' });
    assert.deepEqual(describeHash(`sha256:${NIX32}`, 'hash'), { algo: 'sha256', style: 'typed-nix32' });
    assert.deepEqual(describeHash('', 'sha512'), { algo: 'sha512', style: 'sri' });
    assert.deepEqual(describeHash(undefined, 'vendorHash'), { algo: 'sha256', style: 'sri' });
    const hash = readHash(SRI, 'sha256')!;
    assert.equal(formatHash(hash, 'nix32'), NIX32, 'the same hash as nix-prefetch-url printed it');
    assert.equal(formatHash(hash, 'typed-nix32'), `sha256:${NIX32}`);
    assert.equal(formatHash(readHash(NIX32, 'sha256')!, 'sri'), SRI);
  });

  it('empties a lone pending hash and gives several distinct placeholders', () => {
    assert.equal(placeholderFor(slot(0), 1), '');
    const many = [0, 1, 2].map((i) => placeholderFor(slot(i), 3));
    assert.equal(new Set(many).size, 3);
    for (const p of many) assert.match(p, /^sha256-[A-Za-z0-9+/]{43}=$/);
    // The empty hash is Nix's all-zero hash, as its mismatch report says.
    assert.ok(
      sameHash(
        readHash('', 'sha256'),
        readHash('sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'sha256'),
      ),
    );
  });

  it("reads show-derivation's output hashes", () => {
    const hex = Buffer.from(readHash(SRI, 'sha256')!.digest).toString('hex');
    assert.ok(sameHash(derivationOutputHash('r:sha256', hex), readHash(SRI, 'sha256')));
    assert.ok(sameHash(derivationOutputHash('sha256', hex), readHash(SRI, 'sha256')));
    assert.equal(derivationOutputHash(undefined, undefined), null);
  });
});

describe("Nix's hash-mismatch reports", () => {
  // Captured from Nix 2.8: the structured (internal-json) message and the plain text form.
  const structured =
    "\u001b[31;1merror:\u001b[0m hash mismatch in fixed-output derivation '\u001b[35;1m/nix/store/xx0qfpgbsixkq0av2c5n58svj3zj3q7n-vendor.drv\u001b[0m':\n         specified: \u001b[35;1msha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\u001b[0m\n            got:    \u001b[35;1msha256-PysUSUyow0MJhThBan4MX1RDHYVnpQa984WBhsrkJA4=\u001b[0m";
  const text = [
    "error: hash mismatch in fixed-output derivation '/nix/store/srm663mh66ymwffd3k16mksfw01mbnmw-vendor.drv':",
    '         specified: sha256-SxYMCBIE8eAGp0h1RlxEXn+MjGHajyxWmjb1gNArupo=',
    '            got:    sha256-KEqNdDFAweNVmKiJLz4g+3uwAvkZ7VnbtSIRk0aOsTg=',
    "error: 1 dependencies of derivation '/nix/store/z2yszdg6ph9x9h9al1l64n0abbk90zm4-hello-1.0.0.drv' failed to build",
  ];

  it('reads {drv, specified, got} from both forms, each derivation once', () => {
    assert.deepEqual(parseHashMismatches([structured, structured]), [
      {
        drv: '/nix/store/xx0qfpgbsixkq0av2c5n58svj3zj3q7n-vendor.drv',
        specified: 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        got: 'sha256-PysUSUyow0MJhThBan4MX1RDHYVnpQa984WBhsrkJA4=',
      },
    ]);
    assert.deepEqual(parseHashMismatches(text), [
      {
        drv: '/nix/store/srm663mh66ymwffd3k16mksfw01mbnmw-vendor.drv',
        specified: 'sha256-SxYMCBIE8eAGp0h1RlxEXn+MjGHajyxWmjb1gNArupo=',
        got: 'sha256-KEqNdDFAweNVmKiJLz4g+3uwAvkZ7VnbtSIRk0aOsTg=',
      },
    ]);
    assert.deepEqual(parseHashMismatches("builder for '/nix/store/x.drv' failed with exit code 1"), []);
  });
});

describe('the verify command line', () => {
  it('splits words and quotes like a shell, without expansions', () => {
    assert.deepEqual(splitCommandLine(`result/bin/app --version`), ['result/bin/app', '--version']);
    assert.deepEqual(splitCommandLine(`app 'a b' "c \\"d\\"" e\\ f $HOME &&`), [
      'app',
      'a b',
      'c "d"',
      'e f',
      '$HOME',
      '&&',
    ]);
    assert.deepEqual(splitCommandLine(`app ''`), ['app', '']);
    assert.throws(
      () => splitCommandLine(`app 'open`),
      (e) => isKilnError(e) && e.code === 'KILN_ERR_VALIDATION',
    );
    assert.throws(
      () => splitCommandLine('   '),
      (e) => isKilnError(e) && e.code === 'KILN_ERR_VALIDATION',
    );
  });
});
