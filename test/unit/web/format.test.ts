import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  elapsedMs,
  formatBytes,
  formatDuration,
  relativeTime,
  shortSha,
  storePathName,
} from '../../../src/web/client/format.js';

describe('formatDuration', () => {
  it('reads naturally at every scale', () => {
    assert.equal(formatDuration(0), '0 ms');
    assert.equal(formatDuration(950), '950 ms');
    assert.equal(formatDuration(1000), '1.0 s');
    assert.equal(formatDuration(12_345), '12.3 s');
    assert.equal(formatDuration(59_999), '59.9 s');
    assert.equal(formatDuration(60_000), '1m 00s');
    assert.equal(formatDuration(245_000), '4m 05s');
    assert.equal(formatDuration(3_600_000 + 3 * 60_000), '1h 03m');
    assert.equal(formatDuration(26 * 3_600_000), '1d 02h');
  });

  it('treats negative and non-finite input as zero', () => {
    assert.equal(formatDuration(-5), '0 ms');
    assert.equal(formatDuration(Number.NaN), '0 ms');
  });
});

describe('formatBytes', () => {
  it('uses binary units with sensible precision', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(23.4 * 1024 * 1024), '23.4 MiB');
    assert.equal(formatBytes(512 * 1024 ** 3), '512 GiB');
    assert.equal(formatBytes(-2048), '-2.00 KiB');
  });

  it('shows a dash for unknown sizes', () => {
    assert.equal(formatBytes(null), '—');
    assert.equal(formatBytes(undefined), '—');
    assert.equal(formatBytes(Number.NaN), '—');
  });
});

describe('relativeTime', () => {
  const now = Date.parse('2026-01-10T12:00:00Z');
  it('says how long ago, then the date for old times', () => {
    assert.equal(relativeTime('2026-01-10T11:59:58Z', now), 'just now');
    assert.equal(relativeTime('2026-01-10T11:59:30Z', now), '30 s ago');
    assert.equal(relativeTime('2026-01-10T11:57:00Z', now), '3 min ago');
    assert.equal(relativeTime('2026-01-10T09:00:00Z', now), '3 h ago');
    assert.equal(relativeTime('2026-01-06T12:00:00Z', now), '4 d ago');
    assert.equal(relativeTime('2025-11-01T12:00:00Z', now), '2025-11-01');
  });

  it('handles the future, nulls and garbage', () => {
    assert.equal(relativeTime('2026-01-10T12:05:00Z', now), 'in 5 min');
    assert.equal(relativeTime(null, now), '—');
    assert.equal(relativeTime('yesterday', now), '—');
  });
});

describe('elapsedMs', () => {
  const now = Date.parse('2026-01-10T12:00:10Z');
  it('uses the recorded duration, else ticks from the start, else is unknown', () => {
    assert.equal(
      elapsedMs({ startedAt: '2026-01-10T12:00:00Z', finishedAt: null, durationMs: 4200 }, now),
      4200,
    );
    assert.equal(
      elapsedMs({ startedAt: '2026-01-10T12:00:00Z', finishedAt: null, durationMs: null }, now),
      10_000,
    );
    assert.equal(
      elapsedMs(
        { startedAt: '2026-01-10T12:00:00Z', finishedAt: '2026-01-10T12:00:03Z', durationMs: null },
        now,
      ),
      3000,
    );
    assert.equal(elapsedMs({ startedAt: null, finishedAt: null, durationMs: null }, now), null);
  });
});

describe('store paths and SHAs', () => {
  it('shortens', () => {
    assert.equal(shortSha('0123456789abcdef0123456789abcdef01234567'), '01234567');
    assert.equal(storePathName('/nix/store/xg6fmgl3z2gvnavb524a4ksk5aiz2dk2-hello-1.0'), 'hello-1.0');
    assert.equal(storePathName('/tmp/odd'), 'odd');
  });
});
