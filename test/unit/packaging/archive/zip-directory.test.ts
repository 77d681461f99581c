import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../../src/errors/index.js';
import {
  findZipEnd,
  localHeaderLength,
  parseCentralDirectory,
  parseZip64End,
  zipEntryKind,
  type ZipRecord,
} from '../../../../src/packaging/archive/zip-directory.js';
import { crc32 } from '../../../../src/packaging/archive/crc32.js';

interface CentralFields {
  name: string;
  madeBy?: number;
  method?: number;
  crc?: number;
  compressed?: number;
  size?: number;
  external?: number;
  offset?: number;
  extra?: Buffer;
}

function central(fields: CentralFields): Buffer {
  const name = Buffer.from(fields.name);
  const extra = fields.extra ?? Buffer.alloc(0);
  const head = Buffer.alloc(46);
  head.writeUInt32LE(0x02014b50, 0);
  head.writeUInt16LE(fields.madeBy ?? 0x031e, 4);
  head.writeUInt16LE(20, 6);
  head.writeUInt16LE(0x0800, 8);
  head.writeUInt16LE(fields.method ?? 8, 10);
  head.writeUInt32LE(fields.crc ?? 0, 16);
  head.writeUInt32LE(fields.compressed ?? 0, 20);
  head.writeUInt32LE(fields.size ?? 0, 24);
  head.writeUInt16LE(name.length, 28);
  head.writeUInt16LE(extra.length, 30);
  head.writeUInt32LE((fields.external ?? 0) >>> 0, 38);
  head.writeUInt32LE(fields.offset ?? 0, 42);
  return Buffer.concat([head, name, extra]);
}

function endRecord(entries: number, size: number, offset: number, comment = ''): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries, 8);
  end.writeUInt16LE(entries, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(Buffer.byteLength(comment), 20);
  return Buffer.concat([end, Buffer.from(comment)]);
}

function archiveError(pattern: RegExp): (error: unknown) => boolean {
  return (error) => isKilnError(error) && error.code === 'KILN_ERR_ARCHIVE' && pattern.test(error.message);
}

describe('findZipEnd', () => {
  it('finds the end record behind a comment and reads where the directory is', () => {
    const file = Buffer.concat([
      Buffer.alloc(300),
      endRecord(3, 150, 150, 'a comment with PK\x05\x06 inside'),
    ]);
    assert.deepEqual(findZipEnd(file, 0), { entries: 3, size: 150, offset: 150, zip64EndOffset: undefined });
  });

  it('locates the zip64 end record through its locator', () => {
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(1234n, 8);
    const end = endRecord(0xffff, 0xffffffff, 0xffffffff);
    const found = findZipEnd(Buffer.concat([Buffer.alloc(40), locator, end]), 5000);
    assert.equal(found.zip64EndOffset, 1234);
  });

  it('rejects a file without an end record, or one pointing past the file', () => {
    assert.throws(() => findZipEnd(Buffer.alloc(100), 0), archiveError(/no zip end-of-central-directory/));
    assert.throws(
      () => findZipEnd(Buffer.concat([Buffer.alloc(10), endRecord(1, 500, 0)]), 0),
      archiveError(/outside the file/),
    );
    assert.throws(
      () => findZipEnd(endRecord(0xffff, 10, 0), 0),
      archiveError(/zip64 record, which is missing/),
    );
  });
});

describe('parseZip64End', () => {
  it('reads the 64-bit count, size and offset', () => {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(70000n, 32);
    record.writeBigUInt64LE(5000000n, 40);
    record.writeBigUInt64LE(6000000000n, 48);
    assert.deepEqual(parseZip64End(record), { entries: 70000, size: 5000000, offset: 6000000000 });
    assert.throws(() => parseZip64End(Buffer.alloc(56)), archiveError(/zip64/));
  });
});

describe('parseCentralDirectory', () => {
  it('decodes records, UTF-8 names and zip64 sizes and offsets', () => {
    const zip64 = Buffer.alloc(4 + 24);
    zip64.writeUInt16LE(0x0001, 0);
    zip64.writeUInt16LE(24, 2);
    zip64.writeBigUInt64LE(5_000_000_000n, 4);
    zip64.writeBigUInt64LE(4_900_000_000n, 12);
    zip64.writeBigUInt64LE(7_000_000_000n, 20);
    const unrelated = Buffer.from([0x55, 0x54, 0x01, 0x00, 0x00]);
    const data = Buffer.concat([
      central({
        name: 'pkg/café.txt',
        crc: 0xdeadbeef,
        compressed: 10,
        size: 20,
        external: 0o100755 << 16,
        offset: 0,
      }),
      central({
        name: 'big.bin',
        compressed: 0xffffffff,
        size: 0xffffffff,
        offset: 0xffffffff,
        extra: Buffer.concat([unrelated, zip64]),
      }),
    ]);
    const [first, second] = parseCentralDirectory(data, 2);
    assert.equal(first?.name, 'pkg/café.txt');
    assert.equal(first?.crc32, 0xdeadbeef);
    assert.equal(first?.externalAttributes >>> 16, 0o100755);
    assert.deepEqual(
      [second?.uncompressedSize, second?.compressedSize, second?.localHeaderOffset],
      [5_000_000_000, 4_900_000_000, 7_000_000_000],
    );
  });

  it('rejects a directory with fewer or broken records than the end record says', () => {
    const one = central({ name: 'a' });
    assert.throws(() => parseCentralDirectory(one, 2), archiveError(/record 2 of 2 is corrupt/));
    assert.throws(() => parseCentralDirectory(one.subarray(0, 46), 1), archiveError(/truncated/));
  });
});

describe('localHeaderLength', () => {
  it('adds the name and extra lengths to the fixed 30 bytes', () => {
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(7, 26);
    header.writeUInt16LE(28, 28);
    assert.equal(localHeaderLength(header, 'x'), 65);
    assert.throws(() => localHeaderLength(Buffer.alloc(30), 'x'), archiveError(/local header of 'x'/));
  });
});

describe('zipEntryKind', () => {
  const record = (name: string, madeBy: number, external: number): ZipRecord => ({
    name,
    versionMadeBy: madeBy,
    flags: 0,
    method: 8,
    crc32: 0,
    compressedSize: 0,
    uncompressedSize: 0,
    externalAttributes: external >>> 0,
    localHeaderOffset: 0,
  });
  const UNIX = 3 << 8;

  it('uses the Unix mode of Unix-made archives', () => {
    assert.deepEqual(zipEntryKind(record('f', UNIX, 0o100744 << 16)), { kind: 'file', mode: 0o744 });
    assert.deepEqual(zipEntryKind(record('l', UNIX, 0o120777 << 16)), { kind: 'symlink', mode: 0o777 });
    assert.deepEqual(zipEntryKind(record('d/', UNIX, (0o40700 << 16) | 0x10)), {
      kind: 'directory',
      mode: 0o700,
    });
    assert.deepEqual(zipEntryKind(record('p', UNIX, 0o10644 << 16)), { kind: 'fifo', mode: 0o644 });
    assert.deepEqual(zipEntryKind(record('zero', UNIX, 0)), { kind: 'file', mode: 0 });
  });

  it('gives DOS-made entries 0664 files and 0775 directories', () => {
    assert.deepEqual(zipEntryKind(record('run.sh', 0x0014, 0x20)), { kind: 'file', mode: 0o664 });
    assert.deepEqual(zipEntryKind(record('d', 0x0014, 0x10)), { kind: 'directory', mode: 0o775 });
    assert.deepEqual(zipEntryKind(record('e/', 0x0014, 0)), { kind: 'directory', mode: 0o775 });
  });
});

describe('crc32', () => {
  it('matches the standard check value and can be continued across chunks', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32(Buffer.from('56789'), crc32(Buffer.from('1234'))), 0xcbf43926);
    assert.equal(crc32(Buffer.alloc(0)), 0);
  });
});
