import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { writeTar, paxRecord, sortTarEntries, type TarEntry } from '../../../src/oci/index.js';
import { isKilnError } from '../../../src/errors/index.js';
import { tempDir } from '../../helpers/tmp.js';

async function tarBytes(entries: TarEntry[]): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of writeTar(entries)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function file(path: string, text: string, executable = false): TarEntry {
  const bytes = Buffer.from(text);
  return {
    type: 'file',
    path,
    size: bytes.length,
    executable,
    content: function* () {
      // Several chunks, to check the writer does not assume one.
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    },
  };
}

const TAR_ENV = { PATH: '/usr/bin:/bin', TZ: 'UTC', LC_ALL: 'C' };

/** `tar -tv` as GNU tar prints it, numeric owners, UTC. */
function listing(archive: string): string[] {
  return execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', archive], {
    env: TAR_ENV,
    encoding: 'utf8',
  })
    .trim()
    .split('\n');
}

function extract(archive: string, dest: string): void {
  mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['-x', '-p', '--numeric-owner', '-f', archive, '-C', dest], { env: TAR_ENV });
}

const longName = `nix/store/${'a'.repeat(32)}-${'very-long-name-'.repeat(10)}/share/${'x'.repeat(120)}.txt`;

describe('writeTar', () => {
  it('writes an archive GNU tar lists and extracts with the modes, owners, times and links given', async (t) => {
    const dir = tempDir(t);
    const entries: TarEntry[] = [
      file('nix/store/abc-app/bin/app', '#!/bin/sh\necho hi\n', true),
      { type: 'symlink', path: 'nix/store/abc-app/bin/link', target: 'app' },
      { type: 'directory', path: 'nix/store/abc-app/bin' },
      { type: 'directory', path: 'nix/store/abc-app' },
      file('nix/store/abc-app/share/empty', ''),
      file('nix/store/abc-app/share/block', 'z'.repeat(512)),
      { type: 'directory', path: 'nix/store/abc-app/share' },
      { type: 'directory', path: 'nix', mode: 0o755 },
      { type: 'directory', path: 'nix/store', mode: 0o755 },
      { type: 'directory', path: 'tmp', mode: 0o1777 },
    ];
    const archive = join(dir, 'layer.tar');
    writeFileSync(archive, await tarBytes(entries));
    assert.deepEqual(listing(archive), [
      'drwxr-xr-x 0/0               0 1970-01-01 00:00:01 nix/',
      'drwxr-xr-x 0/0               0 1970-01-01 00:00:01 nix/store/',
      'dr-xr-xr-x 0/0               0 1970-01-01 00:00:01 nix/store/abc-app/',
      'dr-xr-xr-x 0/0               0 1970-01-01 00:00:01 nix/store/abc-app/bin/',
      '-r-xr-xr-x 0/0              18 1970-01-01 00:00:01 nix/store/abc-app/bin/app',
      'lrwxrwxrwx 0/0               0 1970-01-01 00:00:01 nix/store/abc-app/bin/link -> app',
      'dr-xr-xr-x 0/0               0 1970-01-01 00:00:01 nix/store/abc-app/share/',
      '-r--r--r-- 0/0             512 1970-01-01 00:00:01 nix/store/abc-app/share/block',
      '-r--r--r-- 0/0               0 1970-01-01 00:00:01 nix/store/abc-app/share/empty',
      'drwxrwxrwt 0/0               0 1970-01-01 00:00:01 tmp/',
    ]);
    const owners = execFileSync('tar', ['-tvf', archive], { env: TAR_ENV, encoding: 'utf8' });
    assert.ok(
      owners
        .split('\n')
        .filter(Boolean)
        .every((line) => line.includes(' root/root ')),
      owners,
    );

    // Read-only directories cannot be populated by an unprivileged extract; root can.
    const out = join(dir, 'out');
    extract(archive, out);
    const app = join(out, 'nix/store/abc-app/bin/app');
    assert.equal(readFileSync(app, 'utf8'), '#!/bin/sh\necho hi\n');
    assert.equal(lstatSync(app).mode & 0o7777, 0o555);
    assert.equal(readlinkSync(join(out, 'nix/store/abc-app/bin/link')), 'app');
    assert.equal(readFileSync(join(out, 'nix/store/abc-app/share/block'), 'utf8'), 'z'.repeat(512));
    assert.equal(lstatSync(join(out, 'nix/store/abc-app/share/empty')).mode & 0o7777, 0o444);
    assert.equal(lstatSync(join(out, 'tmp')).mode & 0o7777, 0o1777);
    assert.equal(lstatSync(app).mtimeMs, 1000);
  });

  it('uses pax headers for names and link targets longer than ustar holds, and non-ASCII names', async (t) => {
    const dir = tempDir(t);
    const longTarget = `/nix/store/${'b'.repeat(32)}-${'target-'.repeat(20)}`;
    const entries: TarEntry[] = [
      file(longName, 'long'),
      { type: 'symlink', path: 'l', target: longTarget },
      file('caf\u00e9-\u{1F600}', 'unicode'),
    ];
    const archive = join(dir, 'long.tar');
    writeFileSync(archive, await tarBytes(entries));
    const names = execFileSync('tar', ['--quoting-style=literal', '-tf', archive], {
      env: TAR_ENV,
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    assert.deepEqual(names, ['caf\u00e9-\u{1F600}', 'l', longName]);
    const out = join(dir, 'out');
    extract(archive, out);
    assert.equal(readFileSync(join(out, longName), 'utf8'), 'long');
    assert.equal(readlinkSync(join(out, 'l')), longTarget);
    assert.equal(readFileSync(join(out, 'caf\u00e9-\u{1F600}'), 'utf8'), 'unicode');
  });

  it('gives the same bytes whatever the input order, and ends with two zero blocks', async () => {
    const entries: TarEntry[] = [
      { type: 'directory', path: 'a' },
      file('a/x', 'x'),
      file('a-b', 'ab'),
      { type: 'symlink', path: 'a/y', target: 'x' },
      file(longName, 'long'),
    ];
    const reference = await tarBytes(entries);
    assert.equal(reference.length % 512, 0);
    assert.ok(reference.subarray(reference.length - 1024).every((b) => b === 0));
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(entries, { minLength: entries.length }), async (shuffled) => {
        assert.ok((await tarBytes(shuffled)).equals(reference));
      }),
      { numRuns: 30 },
    );
  });

  it('sorts by the bytes of the path, so a parent comes before its children', () => {
    const sorted = sortTarEntries([
      { type: 'directory', path: 'a/b' },
      { type: 'directory', path: 'a-b' },
      { type: 'directory', path: 'a' },
      { type: 'directory', path: '\u00e9' },
      { type: 'directory', path: 'z' },
    ]).map((e) => e.path);
    assert.deepEqual(sorted, ['a', 'a-b', 'a/b', 'z', '\u00e9']);
  });

  it('rejects duplicate and malformed paths', () => {
    for (const path of ['', '/abs', 'trailing/', 'a//b', 'a/./b', 'a/../b', 'nul\0']) {
      assert.throws(
        () => sortTarEntries([{ type: 'directory', path }]),
        (e: unknown) => isKilnError(e) && e.code === 'KILN_ERR_VALIDATION',
        path,
      );
    }
    assert.throws(
      () => sortTarEntries([file('a', '1'), { type: 'symlink', path: 'a', target: 'b' }]),
      (e: unknown) => isKilnError(e) && /duplicate/.test(e.message),
    );
  });

  it('fails when a file yields more or fewer bytes than its declared size', async () => {
    for (const actual of ['shrt', 'too long!']) {
      const entry: TarEntry = { ...file('f', actual), size: 5 } as TarEntry;
      await assert.rejects(
        tarBytes([entry]),
        (e: unknown) => isKilnError(e) && /changed while/.test(e.message),
      );
    }
  });

  it('writes a checksum that GNU tar accepts for every header (a corrupted one is refused)', async (t) => {
    const dir = tempDir(t);
    const bytes = await tarBytes([file('f', 'content')]);
    bytes[0] = 'g'.charCodeAt(0);
    const archive = join(dir, 'bad.tar');
    writeFileSync(archive, bytes);
    assert.throws(() => execFileSync('tar', ['-tf', archive], { env: TAR_ENV, stdio: 'pipe' }));
  });
});

describe('paxRecord', () => {
  it('counts its own length, digits included', () => {
    assert.equal(paxRecord('path', 'abc'), '12 path=abc\n');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (value) => {
        const record = paxRecord('path', value);
        const declared = Number(record.slice(0, record.indexOf(' ')));
        assert.equal(Buffer.byteLength(record), declared);
      }),
    );
    // At the boundary where adding the length's digits adds a digit.
    for (let n = 80; n < 110; n++) {
      const record = paxRecord('k', 'v'.repeat(n));
      assert.equal(Buffer.byteLength(record), Number(record.split(' ')[0]));
    }
  });
});
