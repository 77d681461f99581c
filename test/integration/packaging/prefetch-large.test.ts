import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { prefetch } from '../../../src/packaging/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { nixHashPath } from './prefetch/corpus.js';

const SIZE = 384 * 1024 * 1024;

describe('unpacking a large archive', () => {
  it('streams contents to disk: memory stays flat, the hash is still right', async (t) => {
    const dir = tempDir(t);
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'big'), { recursive: true });
    const fd = openSync(join(tree, 'big', 'blob'), 'w');
    const chunk = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < SIZE / chunk.length; i++) {
      chunk.fill(i % 251);
      writeSync(fd, chunk);
    }
    closeSync(fd);
    const archive = join(dir, 'big.tar.zst');
    execFileSync('tar', ['--zstd', '-C', tree, '-cf', archive, 'big']);

    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const result = await prefetch(archive, { unpack: true });
      assert.equal(result.sri, nixHashPath(join(tree, 'big')));
    } finally {
      clearInterval(sampler);
    }
    const grown = (peak - baseline) / 1024 / 1024;
    assert.ok(
      grown < 128,
      `memory grew by ${grown.toFixed(0)} MiB while unpacking ${SIZE / 1024 / 1024} MiB`,
    );
  });
});
