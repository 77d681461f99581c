import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { unifiedDiff } from '../../../../src/packaging/bump/diff.js';
import { prng } from '../../../helpers/prng.js';
import { tempDir } from '../../../helpers/tmp.js';

const exec = promisify(execFile);

/** GNU diff -u's hunks (without its timestamped headers); exit 1 means "differs". */
async function gnuDiff(a: string, b: string): Promise<string> {
  try {
    await exec('diff', ['-u', a, b]);
    return '';
  } catch (error) {
    const out = (error as { stdout: string }).stdout;
    return out.split('\n').slice(2).join('\n');
  }
}

function randomText(rand: () => number, lines: number): string[] {
  return Array.from({ length: lines }, () => `line ${Math.floor(rand() * 8)}`);
}

describe('unifiedDiff', () => {
  it('is empty for equal texts and labels the file', () => {
    assert.equal(unifiedDiff('a\n', 'a\n', 'f.nix'), '');
    assert.equal(unifiedDiff('a\n', 'b\n', 'f.nix'), '--- a/f.nix\n+++ b/f.nix\n@@ -1,1 +1,1 @@\n-a\n+b\n');
  });

  it('has the same hunks as GNU diff -u on random edits', async (t) => {
    const dir = tempDir(t);
    const rand = prng(6);
    for (let round = 0; round < 150; round++) {
      const before = randomText(rand, 1 + Math.floor(rand() * 40));
      const after = [...before];
      const edits = 1 + Math.floor(rand() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * (after.length + 1));
        const kind = rand();
        if (kind < 0.4 && after.length > 0) after[Math.min(at, after.length - 1)] = `changed ${round}-${e}`;
        else if (kind < 0.7) after.splice(at, 0, `added ${round}-${e}`);
        else after.splice(at, 1);
      }
      const a = `${before.join('\n')}\n`;
      const b = after.length ? `${after.join('\n')}\n` : '';
      writeFileSync(join(dir, 'a'), a);
      writeFileSync(join(dir, 'b'), b);
      const ours = unifiedDiff(a, b, 'x').split('\n').slice(2).join('\n');
      const theirs = (await gnuDiff(join(dir, 'a'), join(dir, 'b')))
        // GNU writes a one-line range without its count ("-3" for "-3,1"), and "-0,0" as "-0,0".
        .replace(/^@@ -(\d+) /gm, '@@ -$1,1 ')
        .replace(/^@@ (-\S+) \+(\d+) @@/gm, '@@ $1 +$2,1 @@');
      // Line-level changes must agree; the exact alignment of equal lines may differ (both valid).
      const changed = (d: string): string[] =>
        d.split('\n').filter((l) => /^[-+]/.test(l) && !l.startsWith('@@'));
      assert.deepEqual(
        changed(ours).sort(),
        changed(theirs).sort(),
        `round ${round}\n${ours}\n---\n${theirs}`,
      );
    }
  });
});
