import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { NixPackaging } from '../../src/index.js';
import { releaseHashes, startReleaseServer, writePackage } from '../helpers/bump-package.js';
import { tempDir } from '../helpers/tmp.js';

const exec = promisify(execFile);
const NIX = ['--extra-experimental-features', 'nix-command'];

async function nixOut(cmd: string, args: string[]): Promise<string> {
  return (await exec(cmd, args, { encoding: 'utf8' })).stdout.trim();
}

describe('library: NixPackaging', { timeout: 300_000 }, () => {
  const packaging = new NixPackaging();

  it('hashes paths and files, and converts hashes, exactly as nix does', async (t) => {
    const dir = join(tempDir(t), 'tree');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'a.txt'), 'a\n');
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const hashed = await packaging.hashPath(dir);
    assert.equal(hashed.sri, await nixOut('nix', [...NIX, 'hash', 'path', dir]));
    assert.equal(hashed.storePath, await nixOut('nix-store', ['--add', dir]));
    assert.equal(
      packaging.convertHash(hashed.sri, 'base32'),
      await nixOut('nix', [...NIX, 'hash', 'to-base32', hashed.sri]),
    );
    assert.equal(
      packaging.convertHash(packaging.convertHash(hashed.sri, 'hex'), 'sri', 'sha256'),
      hashed.sri,
    );

    const file = join(dir, 'sub', 'a.txt');
    const prefetched = await packaging.prefetch(`file://${file}`);
    const [base32, storePath] = (await nixOut('nix-prefetch-url', ['--print-path', `file://${file}`])).split(
      '\n',
    );
    assert.equal(prefetched.nix32, base32);
    assert.equal(prefetched.storePath, storePath);
  });

  it('inspects and edits a package file without losing a byte, and bumps it', async (t) => {
    const server = await startReleaseServer(t, [
      { version: '1.0.0', deps: ['a.txt'] },
      { version: '2.0.0', deps: ['a.txt', 'b.txt'] },
    ]);
    const old = await releaseHashes(t, server, { version: '1.0.0', deps: ['a.txt'] });
    const file = writePackage(tempDir(t), server.url, '1.0.0', old);
    const text = readFileSync(file, 'utf8');
    const summary = packaging.inspect(text);
    assert.equal(packaging.print(summary.document), text);
    assert.equal(summary.version?.version, '1.0.0');
    assert.deepEqual(
      summary.hashes.map((h) => [h.path.join('.'), h.value]),
      [
        ['src.hash', old.src],
        ['vendorHash', old.vendor],
      ],
    );
    const version = summary.version;
    assert.ok(version);
    const edited = packaging.edit(text, [{ span: version.valueSpan, text: packaging.nixString('1.0.1') }]);
    assert.equal(edited, text.replace('version = "1.0.0"', 'version = "1.0.1"'));

    const lines: string[] = [];
    const result = await packaging.bump({
      file,
      version: '2.0.0',
      dryRun: true,
      onLog: (l) => lines.push(l),
    });
    const fresh = await releaseHashes(t, server, { version: '2.0.0', deps: ['a.txt', 'b.txt'] });
    assert.deepEqual(
      result.hashes.map((h) => [h.path, h.new, h.verified]),
      [
        ['src.hash', fresh.src, true],
        ['vendorHash', fresh.vendor, true],
      ],
    );
    assert.equal(readFileSync(file, 'utf8'), text, 'a dry run writes nothing');
    assert.ok(
      lines.some((l) => l.startsWith('stale-hash guard:')),
      lines.join('\n'),
    );
  });
});
