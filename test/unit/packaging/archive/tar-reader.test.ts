import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../../src/errors/index.js';
import { readTar } from '../../../../src/packaging/archive/tar-reader.js';
import { END, paxRecord, tarData, tarHeader } from './tar-blocks.js';

/** The stream in chunks of `size` bytes, so entries straddle chunk boundaries. */
async function* chunked(data: Buffer, size = 100): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
  await Promise.resolve();
}

interface Read {
  path: string;
  kind: string;
  mode: number;
  linkname: string;
  text?: string;
}

async function readAll(data: Buffer, readBodies = true): Promise<Read[]> {
  const out: Read[] = [];
  for await (const entry of readTar(chunked(data))) {
    const read: Read = { path: entry.path, kind: entry.kind, mode: entry.mode, linkname: entry.linkname };
    if (readBodies && entry.kind === 'file') {
      const parts: Buffer[] = [];
      for await (const chunk of entry.body) parts.push(Buffer.from(chunk));
      read.text = Buffer.concat(parts).toString();
    }
    out.push(read);
  }
  return out;
}

function archiveError(pattern: RegExp): (error: unknown) => boolean {
  return (error) => isKilnError(error) && error.code === 'KILN_ERR_ARCHIVE' && pattern.test(error.message);
}

describe('readTar', () => {
  it('reads files, directories, symlinks and hard links in order, streaming contents', async () => {
    const archive = Buffer.concat([
      tarHeader({ name: 'pkg/', type: '5', mode: 0o755 }),
      tarHeader({ name: 'pkg/a.txt', size: 700, mode: 0o644 }),
      tarData('a'.repeat(700)),
      tarHeader({ name: 'pkg/run', size: 3, mode: 0o755 }),
      tarData('run'),
      tarHeader({ name: 'pkg/link', type: '2', linkname: 'a.txt' }),
      tarHeader({ name: 'pkg/hard', type: '1', linkname: 'pkg/a.txt' }),
      END,
    ]);
    assert.deepEqual(await readAll(archive), [
      { path: 'pkg/', kind: 'directory', mode: 0o755, linkname: '' },
      { path: 'pkg/a.txt', kind: 'file', mode: 0o644, linkname: '', text: 'a'.repeat(700) },
      { path: 'pkg/run', kind: 'file', mode: 0o755, linkname: '', text: 'run' },
      { path: 'pkg/link', kind: 'symlink', mode: 0o644, linkname: 'a.txt' },
      { path: 'pkg/hard', kind: 'hardlink', mode: 0o644, linkname: 'pkg/a.txt' },
    ]);
  });

  it('skips the contents of entries whose body is not read', async () => {
    const archive = Buffer.concat([
      tarHeader({ name: 'a', size: 1000 }),
      tarData('x'.repeat(1000)),
      tarHeader({ name: 'b', size: 1 }),
      tarData('b'),
      END,
    ]);
    assert.deepEqual(
      (await readAll(archive, false)).map((e) => e.path),
      ['a', 'b'],
    );
  });

  it('applies GNU long names (L) and long link names (K) to the next entry only', async () => {
    const longName = `dir/${'n'.repeat(200)}`;
    const longLink = `target/${'t'.repeat(150)}`;
    const archive = Buffer.concat([
      tarHeader({ name: '././@LongLink', type: 'L', size: longName.length + 1, magic: 'gnu' }),
      tarData(`${longName}\0`),
      tarHeader({ name: '././@LongLink', type: 'K', size: longLink.length + 1, magic: 'gnu' }),
      tarData(`${longLink}\0`),
      tarHeader({ name: longName.slice(0, 99), type: '2', linkname: longLink.slice(0, 99), magic: 'gnu' }),
      tarHeader({ name: 'short', size: 0, magic: 'gnu' }),
      END,
    ]);
    const entries = await readAll(archive);
    assert.equal(entries[0]?.path, longName);
    assert.equal(entries[0]?.linkname, longLink);
    assert.equal(entries[1]?.path, 'short');
  });

  it('applies pax path, linkpath and size, and ignores global headers', async () => {
    const path = `pax/${'p'.repeat(180)}/ünï.txt`;
    const pax = Buffer.from(paxRecord('path', path) + paxRecord('size', '5'));
    const archive = Buffer.concat([
      tarHeader({ name: 'pax_global_header', type: 'g', size: 20 }),
      tarData(paxRecord('comment', 'abcdefgh')),
      tarHeader({ name: 'PaxHeaders/x', type: 'x', size: pax.length }),
      tarData(pax),
      // The header's own size is wrong on purpose: pax overrides it.
      tarHeader({ name: 'truncated-name', size: 1 }),
      tarData('hello'),
      tarHeader({ name: 'next', size: 0 }),
      END,
    ]);
    const entries = await readAll(archive);
    assert.deepEqual(
      entries.map((e) => [e.path, e.text]),
      [
        [path, 'hello'],
        ['next', ''],
      ],
    );
  });

  it('reads devices and FIFOs as such, and unknown type flags as regular files', async () => {
    const archive = Buffer.concat([
      tarHeader({ name: 'c', type: '3' }),
      tarHeader({ name: 'f', type: '6' }),
      tarHeader({ name: 'u', type: 'Z', size: 2 }),
      tarData('zz'),
      END,
    ]);
    assert.deepEqual(
      (await readAll(archive)).map((e) => [e.path, e.kind, e.text]),
      [
        ['c', 'device', undefined],
        ['f', 'fifo', undefined],
        ['u', 'file', 'zz'],
      ],
    );
  });

  it('reads a regular-file entry whose name ends in a slash as a directory, as old tars wrote them', async () => {
    const archive = Buffer.concat([tarHeader({ name: 'old-dir/', type: '0' }), END]);
    assert.deepEqual(
      (await readAll(archive)).map((e) => [e.path, e.kind]),
      [['old-dir/', 'directory']],
    );
  });

  it('accepts an archive that ends without end blocks after a whole entry', async () => {
    const archive = Buffer.concat([tarHeader({ name: 'a', size: 1 }), tarData('a')]);
    assert.deepEqual(
      (await readAll(archive)).map((e) => e.path),
      ['a'],
    );
  });

  it('yields nothing for an archive of end blocks', async () => {
    assert.deepEqual(await readAll(END), []);
  });

  it('reports truncation in contents, in a header and in a long-name record', async () => {
    const full = Buffer.concat([tarHeader({ name: 'a', size: 2000 }), tarData('a'.repeat(2000))]);
    await assert.rejects(readAll(full.subarray(0, 1000)), archiveError(/truncated \(in 'a'\)/));
    await assert.rejects(
      readAll(Buffer.concat([full, Buffer.alloc(100)])),
      archiveError(/truncated \(in a tar header\)/),
    );
    const longName = Buffer.concat([
      tarHeader({ name: '././@LongLink', type: 'L', size: 300, magic: 'gnu' }),
      tarData('x'.repeat(300)),
    ]);
    await assert.rejects(readAll(longName), archiveError(/truncated/));
  });

  it('refuses GNU sparse files and empty input', async () => {
    await assert.rejects(
      readAll(Buffer.concat([tarHeader({ name: 's', type: 'S' }), END])),
      archiveError(/sparse/),
    );
    await assert.rejects(readAll(Buffer.alloc(0)), archiveError(/empty or not a tar archive/));
  });
});
