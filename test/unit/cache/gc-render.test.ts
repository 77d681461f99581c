import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GcReport } from '../../../src/cache/index.js';
import { renderGcReport } from '../../../src/cli/render/gc.js';

const base: GcReport = {
  cacheName: 'main',
  dryRun: false,
  retentionDays: 30,
  cutoff: Date.UTC(2025, 0, 1),
  deletedPaths: 3,
  deletedBytes: 3 * 1024 * 1024,
  keptPaths: 5,
  keptByReason: { pinned: 3, recent: 1, referenced: 1, 'no-retention': 0 },
  storePaths: ['/nix/store/aaaa-tool', '/nix/store/bbbb-junk'],
  skippedPaths: 0,
  narsDeleted: 2,
  narBytesFreed: 2048,
  storageErrors: 0,
};

describe('kiln cache gc output', () => {
  it('shows what went, what stayed and why, with bytes, and the deleted paths', () => {
    const text = renderGcReport(base).join('\n');
    assert.match(
      text,
      /^Garbage collection of cache 'main' \(retention 30 days: paths unused since 2025-01-01T00:00:00.000Z expire\)/,
    );
    assert.match(text, /^deleted\s+3\s+3\.0 MiB$/m);
    assert.match(text, /^kept\s+5$/m);
    assert.match(text, /^ {2}pinned\s+3$/m);
    assert.match(text, /^ {2}referenced\s+1$/m);
    assert.doesNotMatch(text, /no retention/);
    assert.match(text, /^NAR files freed\s+2\s+2\.0 KiB$/m);
    assert.match(
      text,
      /^Deleted:\n {2}\/nix\/store\/aaaa-tool\n {2}\/nix\/store\/bbbb-junk\n {2}… and 1 more$/m,
    );
    assert.match(text, /Build logs are kept\.$/);
  });

  it('says a dry run deleted nothing and leaves out NAR files', () => {
    const text = renderGcReport({ ...base, dryRun: true, narsDeleted: 0, narBytesFreed: 0 }).join('\n');
    assert.match(text, /^Dry run of cache 'main'/);
    assert.match(text, /^would delete\s+3\s+3\.0 MiB$/m);
    assert.match(text, /^Would delete:$/m);
    assert.doesNotMatch(text, /NAR files freed/);
    assert.match(text, /Nothing was deleted \(dry run\)\./);
  });

  it('explains a cache without retention, skipped paths and storage errors', () => {
    const text = renderGcReport({
      ...base,
      retentionDays: null,
      cutoff: null,
      deletedPaths: 0,
      deletedBytes: 0,
      storePaths: [],
      keptByReason: { pinned: 0, recent: 0, referenced: 0, 'no-retention': 5 },
      skippedPaths: 1,
      storageErrors: 2,
    }).join('\n');
    assert.match(text, /no retention: every path is kept/);
    assert.match(text, /^ {2}no retention\s+5$/m);
    assert.match(text, /1 path stayed: paths pushed during the run refer to them\./);
    assert.match(text, /2 stored files could not be deleted/);
    assert.doesNotMatch(text, /Deleted:/);
    // No line carries trailing blanks.
    for (const line of text.split('\n')) assert.equal(line, line.trimEnd());
  });
});
