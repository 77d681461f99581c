import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { createFsStorage } from '../../../src/cache/index.js';
import { tempDir } from '../../helpers/tmp.js';

const HOUR = 3_600_000;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** A file whose last change was `ageMs` ago. */
function fileAged(path: string, ageMs: number): void {
  writeFileSync(path, 'partial upload');
  const when = new Date(Date.now() - ageMs);
  utimesSync(path, when, when);
}

async function* once(text: string): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  yield Buffer.from(text);
}

describe('filesystem storage: sweeping temporary files of crashed writes', () => {
  it('removes old temp files at any depth and leaves objects, recent temp files and other dot files', async (t) => {
    const root = tempDir(t);
    const storage = createFsStorage(root);
    await storage.write('nar/abc.nar.xz', once('nar'));
    await storage.write('logs/main/x.drv', once('log'));
    // An old object keeps its place however old it is.
    utimesSync(join(root, 'nar', 'abc.nar.xz'), new Date(0), new Date(0));
    fileAged(join(root, '.tmp-root-crashed'), 3 * HOUR);
    fileAged(join(root, 'nar', '.tmp-crashed'), 3 * HOUR);
    fileAged(join(root, 'logs', 'main', '.tmp-crashed'), 3 * HOUR);
    fileAged(join(root, 'nar', '.tmp-in-progress'), 10_000);
    fileAged(join(root, 'nar', '.keep'), 3 * HOUR);
    mkdirSync(join(root, 'empty'));

    assert.equal(await storage.sweepTemporaryFiles(HOUR), 3);
    assert.deepEqual(filesUnder(root), [
      join('logs', 'main', 'x.drv'),
      join('nar', '.keep'),
      join('nar', '.tmp-in-progress'),
      join('nar', 'abc.nar.xz'),
    ]);
    // Objects read as before.
    assert.equal((await storage.has('nar/abc.nar.xz'))?.size, 3);
    // A second sweep finds nothing; a younger threshold takes the recent one too.
    assert.equal(await storage.sweepTemporaryFiles(HOUR), 0);
    assert.equal(await storage.sweepTemporaryFiles(1000), 1);
  });

  it('takes `now` from the caller, and a missing root is nothing to sweep', async (t) => {
    const root = tempDir(t);
    const storage = createFsStorage(root);
    fileAged(join(root, '.tmp-a'), 10_000);
    assert.equal(await storage.sweepTemporaryFiles(HOUR), 0);
    assert.equal(await storage.sweepTemporaryFiles(HOUR, Date.now() + 2 * HOUR), 1);
    assert.equal(await createFsStorage(join(root, 'not', 'there')).sweepTemporaryFiles(0), 0);
    await assert.rejects(storage.sweepTemporaryFiles(-1), RangeError);
  });

  it('does not disturb a write in progress when swept with a sane age', async (t) => {
    const root = tempDir(t);
    const storage = createFsStorage(root);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('first half, ');
      await gate;
      yield Buffer.from('second half');
    }
    const writing = storage.write('nar/slow.nar', slow());
    // Wait until the temporary file exists, then sweep while the write is stalled.
    while (!filesUnder(root).some((f) => f.includes('.tmp-'))) await new Promise((r) => setTimeout(r, 5));
    assert.equal(await storage.sweepTemporaryFiles(HOUR), 0);
    release();
    assert.equal((await writing).size, 'first half, second half'.length);
    assert.deepEqual(filesUnder(root), [join('nar', 'slow.nar')]);
  });
});
