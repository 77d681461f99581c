import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../../src/errors/index.js';
import {
  parsePaxRecords,
  parseTarHeader,
  parseTarNumber,
  tarPadding,
} from '../../../../src/packaging/archive/tar-header.js';
import { paxRecord, tarHeader } from './tar-blocks.js';

function archiveError(pattern: RegExp): (error: unknown) => boolean {
  return (error) => isKilnError(error) && error.code === 'KILN_ERR_ARCHIVE' && pattern.test(error.message);
}

describe('parseTarHeader', () => {
  it('reads name, mode, size, type and link name', () => {
    const header = parseTarHeader(tarHeader({ name: 'pkg/bin/run', mode: 0o755, size: 1234, type: '0' }));
    assert.deepEqual(header, { name: 'pkg/bin/run', mode: 0o755, size: 1234, type: '0', linkname: '' });
    const link = parseTarHeader(tarHeader({ name: 'l', type: '2', linkname: '../target' }));
    assert.equal(link?.type, '2');
    assert.equal(link?.linkname, '../target');
  });

  it('returns null for the all-zero end-of-archive block', () => {
    assert.equal(parseTarHeader(new Uint8Array(512)), null);
  });

  it('treats a NUL type flag (old tar) as a regular file', () => {
    const block = tarHeader({ name: 'old', type: '0' });
    block[156] = 0;
    // Fix the checksum for the changed byte: '0' is 0x30.
    const header = (() => {
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
      block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
      return parseTarHeader(block);
    })();
    assert.equal(header?.type, '0');
  });

  it('joins the ustar prefix and name, but not for GNU headers', () => {
    const ustar = parseTarHeader(tarHeader({ name: 'file.txt', prefix: 'a/very/long/dir', magic: 'ustar' }));
    assert.equal(ustar?.name, 'a/very/long/dir/file.txt');
    const gnu = parseTarHeader(tarHeader({ name: 'file.txt', prefix: 'ignored', magic: 'gnu' }));
    assert.equal(gnu?.name, 'file.txt');
  });

  it('verifies the checksum', () => {
    const block = tarHeader({ name: 'x', size: 1 });
    block[0] = 'y'.charCodeAt(0);
    assert.throws(() => parseTarHeader(block), archiveError(/checksum mismatch/));
  });

  it('accepts a checksum computed over signed bytes, as some old tars wrote', () => {
    const block = tarHeader({ name: 'caf\u00e9' });
    let signed = 0;
    for (let i = 0; i < 512; i++) {
      const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
      signed += byte >= 0x80 ? byte - 0x100 : byte;
    }
    block.write(`${signed.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    assert.equal(parseTarHeader(block)?.name, 'café');
  });

  it('reads base-256 sizes for files over 8 GiB', () => {
    const raw = Buffer.alloc(12);
    raw[0] = 0x80;
    raw.writeUIntBE(10 * 1024 ** 3, 6, 6);
    assert.equal(parseTarHeader(tarHeader({ name: 'big', rawSize: raw }))?.size, 10 * 1024 ** 3);
  });
});

describe('parseTarNumber', () => {
  it('reads octal padded with spaces or NULs, and empty fields as 0', () => {
    assert.equal(parseTarNumber(Buffer.from('0000644\0'), 'mode'), 0o644);
    assert.equal(parseTarNumber(Buffer.from('   755 \0'), 'mode'), 0o755);
    assert.equal(parseTarNumber(Buffer.from('\0\0\0\0'), 'mode'), 0);
  });

  it('rejects non-octal text, negative base-256 and values beyond 2^53', () => {
    assert.throws(() => parseTarNumber(Buffer.from('12a4\0'), 'size'), archiveError(/invalid size/));
    assert.throws(
      () => parseTarNumber(Buffer.from([0xff, 0xff, 0xff, 0xff]), 'size'),
      archiveError(/negative/),
    );
    const huge = Buffer.alloc(12, 0xff);
    huge[0] = 0x80;
    assert.throws(() => parseTarNumber(huge, 'size'), archiveError(/too large/));
  });
});

describe('parsePaxRecords', () => {
  it('reads path, linkpath and size and ignores other keys', () => {
    const data = Buffer.from(
      paxRecord('mtime', '1700000000.5') +
        paxRecord('path', `dir/${'n'.repeat(150)}`) +
        paxRecord('linkpath', 'ziel/ü') +
        paxRecord('size', '9000000000'),
    );
    assert.deepEqual(parsePaxRecords(data), {
      path: `dir/${'n'.repeat(150)}`,
      linkpath: 'ziel/ü',
      size: 9000000000,
    });
  });

  it('keeps "=" and newlines inside values (the length, not the newline, ends a record)', () => {
    const data = Buffer.from(paxRecord('path', 'a=b\nc'));
    assert.equal(parsePaxRecords(data).path, 'a=b\nc');
  });

  it('stops at NUL padding', () => {
    const data = Buffer.concat([Buffer.from(paxRecord('path', 'x')), Buffer.alloc(20)]);
    assert.equal(parsePaxRecords(data).path, 'x');
  });

  it('rejects bad lengths, missing newlines and bad sizes', () => {
    assert.throws(() => parsePaxRecords(Buffer.from('99 path=x\n')), archiveError(/invalid length/));
    assert.throws(() => parsePaxRecords(Buffer.from('abc path=x\n')), archiveError(/invalid length/));
    assert.throws(() => parsePaxRecords(Buffer.from('11 path=xy\0')), archiveError(/newline/));
    assert.throws(() => parsePaxRecords(Buffer.from(paxRecord('size', '-1'))), archiveError(/invalid size/));
  });
});

describe('tarPadding', () => {
  it('pads contents to whole 512-byte blocks', () => {
    assert.deepEqual([0, 1, 511, 512, 513].map(tarPadding), [0, 511, 1, 0, 511]);
  });
});
