import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../../src/cli/args/duration.js';
import {
  drvName,
  groupStatus,
  sourceLabel,
  summaryLines,
  detailLines,
} from '../../../src/cli/render/build.js';
import { formatBytes } from '../../../src/cli/render/bytes.js';
import { formatAge, formatDuration, formatElapsed } from '../../../src/cli/render/duration.js';
import { renderBuildList } from '../../../src/cli/render/list.js';
import { progressLine } from '../../../src/cli/render/progress.js';
import { cleanupLines, statsLines } from '../../../src/cli/render/stats.js';
import { renderTable } from '../../../src/cli/render/table.js';
import { sanitizeForTerminal, stripControl, truncate } from '../../../src/cli/render/text.js';
import { buildView, succeeded } from './fake-server.js';

void describe('parseDuration', () => {
  void it('accepts every unit', () => {
    assert.deepEqual(parseDuration('45s'), { text: '45s', ms: 45_000 });
    assert.deepEqual(parseDuration('90m'), { text: '90m', ms: 5_400_000 });
    assert.deepEqual(parseDuration('12h'), { text: '12h', ms: 43_200_000 });
    assert.deepEqual(parseDuration('30d'), { text: '30d', ms: 2_592_000_000 });
    assert.deepEqual(parseDuration('2w'), { text: '2w', ms: 1_209_600_000 });
    assert.deepEqual(parseDuration('0s'), { text: '0s', ms: 0 });
  });

  void it('rejects everything else', () => {
    for (const bad of ['', 'd', '30', '30D', '-1d', '1.5h', '30 d', '1h30m', '3y']) {
      assert.throws(() => parseDuration(bad), { code: 'KILN_ERR_VALIDATION' }, bad);
    }
  });
});

void describe('durations and sizes', () => {
  void it('formats durations', () => {
    assert.equal(formatDuration(400), '0.4s');
    assert.equal(formatDuration(12_345), '12s');
    assert.equal(formatDuration(9_950), '9.9s');
    assert.equal(formatDuration(125_000), '2m 05s');
    assert.equal(formatDuration(3_720_000), '1h 02m');
    assert.equal(formatDuration(273_600_000), '3d 04h');
    assert.equal(formatDuration(-1), '-');
  });

  void it('formats elapsed clocks', () => {
    assert.equal(formatElapsed(7_900), '0:07');
    assert.equal(formatElapsed(754_000), '12:34');
    assert.equal(formatElapsed(3_723_000), '1:02:03');
    assert.equal(formatElapsed(-5), '0:00');
  });

  void it('formats ages', () => {
    const now = Date.parse('2024-05-10T12:00:00Z');
    assert.equal(formatAge('2024-05-10T11:59:58Z', now), 'just now');
    assert.equal(formatAge('2024-05-10T11:59:30Z', now), '30s ago');
    assert.equal(formatAge('2024-05-10T11:55:00Z', now), '5m ago');
    assert.equal(formatAge('2024-05-10T09:00:00Z', now), '3h ago');
    assert.equal(formatAge('2024-05-07T12:00:00Z', now), '3d ago');
    assert.equal(formatAge('2023-01-01T00:00:00Z', now), '2023-01-01');
    assert.equal(formatAge('garbage', now), '-');
  });

  void it('formats byte sizes', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(12.3 * 1024 * 1024), '12.3 MiB');
    assert.equal(formatBytes(120 * 1024 ** 3), '120 GiB');
    assert.equal(formatBytes(1024 * 1024 - 1), '1.0 MiB');
    assert.equal(formatBytes(Number.NaN), '-');
  });
});

void describe('text helpers', () => {
  void it('keeps colours but drops cursor movement on a terminal', () => {
    assert.equal(sanitizeForTerminal('\x1b[31mred\x1b[0m'), '\x1b[31mred\x1b[0m');
    assert.equal(sanitizeForTerminal('a\x1b[2Jb\x1b[1Ac\rd\x07'), 'abcd');
    assert.equal(sanitizeForTerminal('tab\there'), 'tab\there');
    assert.equal(sanitizeForTerminal('\x1b]0;title\x07x'), 'x');
  });

  void it('strips every control character for plain output', () => {
    assert.equal(stripControl('\x1b[31mred\x1b[0m\r\n'), 'red');
    assert.equal(stripControl('plain'), 'plain');
  });

  void it('truncates by code points', () => {
    assert.equal(truncate('hello', 10), 'hello');
    assert.equal(truncate('hello world', 6), 'hello…');
    assert.equal(truncate('ééééé', 3), 'éé…');
  });
});

void describe('renderTable', () => {
  void it('pads all but the last column', () => {
    assert.equal(
      renderTable(
        ['A', 'BB', 'C'],
        [
          ['1', '2', '3'],
          ['long', '', 'x'],
        ],
      ),
      ['A     BB  C', '1     2   3', 'long      x'].join('\n'),
    );
  });
});

void describe('build renderers', () => {
  void it('labels sources and derivations', () => {
    assert.equal(sourceLabel({ kind: 'expr', fileName: 'hello.nix' }), 'hello.nix');
    assert.equal(sourceLabel({ kind: 'expr' }), 'expr');
    assert.equal(
      sourceLabel({ kind: 'git', url: 'https://github.com/a/b', ref: 'main', attr: 'pkg' }),
      'github.com/a/b@main#pkg',
    );
    assert.equal(sourceLabel({ kind: 'template', name: 'node' }), 'template:node');
    assert.equal(drvName('/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello-1.0.drv'), 'hello-1.0');
    assert.equal(drvName('hello'), 'hello');
  });

  void it('summarises a success', () => {
    assert.deepEqual(summaryLines(succeeded('b1', { cached: true })), [
      'build b1 succeeded in 2.5s',
      '  output:   /nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello',
      '  size:     2.0 KiB',
      '  cached:   yes: answered from an earlier identical build',
    ]);
  });

  void it('summarises a failure with its reason', () => {
    const lines = summaryLines(
      buildView({
        id: 'b2',
        status: 'timed_out',
        durationMs: 61_000,
        error: 'timed out after 60s',
        system: 'x86_64-linux',
      }),
    );
    assert.equal(lines[0], 'build b2 (x86_64-linux) timed out after 1m 01s');
    assert.ok(lines.includes('  error:    timed out after 60s'));
  });

  void it('indents multi-line errors under their label', () => {
    const lines = summaryLines(
      buildView({ id: 'b3', status: 'failed', error: 'builder failed\n\nLast lines:\n> oops\n' }),
    );
    assert.deepEqual(lines.slice(1), [
      '  error:    builder failed',
      '',
      '            Last lines:',
      '            > oops',
    ]);
  });

  void it('derives the group status', () => {
    assert.equal(groupStatus([succeeded('a'), succeeded('b')]), 'succeeded');
    assert.equal(
      groupStatus([succeeded('a'), buildView({ status: 'failed' }), buildView({ status: 'cancelled' })]),
      'failed',
    );
  });

  void it('details a build for kiln status', () => {
    const lines = detailLines(
      succeeded('b1', {
        serviceId: 'web',
        labels: { team: 'core' },
        steps: [
          {
            name: 'eval',
            status: 'succeeded',
            startedAt: '2024-05-01T12:00:01.000Z',
            finishedAt: '2024-05-01T12:00:02.000Z',
            detail: null,
          },
        ],
      }),
      Date.now(),
    );
    assert.ok(lines.includes('id:          b1'));
    assert.ok(lines.includes('service:     web'));
    assert.ok(lines.includes('labels:      team=core'));
    assert.ok(lines.includes('duration:    2.5s'));
    assert.ok(lines.some((l) => l.startsWith('  eval') && l.includes('1.0s')));
  });

  void it('shows the commit of a Git build', () => {
    const commit = {
      sha: 'c'.repeat(40),
      branch: 'main',
      author: 'Ada Lovelace',
      authorEmail: 'ada@example.org',
      date: '2024-03-01T10:00:00+00:00',
      subject: 'Add a flake',
    };
    const build = succeeded('b3', {
      source: { kind: 'git', url: 'https://example.org/app.git', ref: 'main', attr: 'hello' },
      commit,
    });
    const lines = detailLines(build, Date.now());
    assert.ok(lines.includes('source:      example.org/app.git@main#hello'), lines.join('\n'));
    assert.ok(lines.includes(`commit:      ${'c'.repeat(40)} (main)`));
    assert.ok(lines.includes('author:      Ada Lovelace <ada@example.org>, 2024-03-01T10:00:00+00:00'));
    assert.ok(lines.includes('subject:     Add a flake'));
    assert.ok(summaryLines(build).some((line) => line.includes(`${'c'.repeat(12)} Add a flake`)));
  });

  void it('says what a build substituted, built and pushed', () => {
    const lines = detailLines(
      succeeded('b2', {
        substituted: ['/nix/store/a', '/nix/store/b'],
        built: ['/nix/store/c.drv'],
        pushCache: 'team',
        pushed: ['/nix/store/c', '/nix/store/a', '/nix/store/b'],
      }),
      Date.now(),
    );
    assert.ok(lines.includes('substituted: 2 paths'), lines.join('\n'));
    assert.ok(lines.includes('built:       1 derivations'));
    assert.ok(lines.includes('pushed:      3 paths to team'));
  });

  void it('lists builds as a table', () => {
    const now = Date.parse('2024-05-01T12:10:00.000Z');
    const table = renderBuildList(
      [succeeded('b1', { serviceId: 'web' }), buildView({ id: 'b2', status: 'pending' })],
      now,
    );
    const [header, first, second] = table.split('\n');
    assert.match(header ?? '', /^ID\s+STATUS\s+SOURCE\s+SERVICE\s+CREATED\s+DURATION$/);
    assert.match(first ?? '', /^b1\s+succeeded\s+hello\.nix\s+web\s+10m ago\s+2\.5s$/);
    assert.match(second ?? '', /^b2\s+pending\s+hello\.nix\s+-\s+10m ago\s+-$/);
    assert.equal(renderBuildList([], now), 'no builds');
  });
});

void describe('progressLine', () => {
  const progress = {
    done: 2,
    expected: 5,
    running: 1,
    failed: 0,
    phase: 'building',
    activeDrv: '/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello-1.0.drv',
  };

  void it('shows elapsed time, derivations, phase and the active derivation', () => {
    assert.equal(
      progressLine(12_000, [{ label: undefined, status: 'running', progress }], 120),
      '[0:12] 2/5 drv · building · hello-1.0',
    );
  });

  void it('shows pending builds and several builds', () => {
    const line = progressLine(
      3_000,
      [
        { label: 'x86_64-linux', status: 'running', progress },
        { label: 'i686-linux', status: 'pending', progress },
      ],
      200,
    );
    assert.equal(
      line,
      '[0:03] x86_64-linux · 2/5 drv · building · hello-1.0 | i686-linux · waiting for a worker',
    );
  });

  void it('never exceeds the terminal width and carries no control characters', () => {
    const nasty = { ...progress, phase: 'evil\x1b[2J\rphase' };
    const line = progressLine(1_000, [{ label: undefined, status: 'running', progress: nasty }], 20);
    assert.ok([...line].length <= 19);
    // eslint-disable-next-line no-control-regex -- checking for control characters
    assert.doesNotMatch(line, /[\x00-\x1f]/);
  });
});

void describe('stats and cleanup renderers', () => {
  void it('renders stats', () => {
    const lines = statsLines({
      scope: { serviceId: 'web', label: null, since: null },
      total: 10,
      byStatus: { succeeded: 8, failed: 2, pending: 0 },
      successRate: 80,
      averageBuildTimeMs: 12_300,
      averageArtifactSize: 1024 * 1024,
      averageImageSize: 12.3 * 1024 * 1024,
      averageBytesPushed: 2048,
      lastGoodImage: {
        buildId: 'b7',
        ref: 'registry.local:5000/web:v1',
        digest: 'sha256:abc',
        finishedAt: '2024-03-01T10:00:00.000Z',
      },
      queueLength: 1,
      workers: { slots: 4, busy: 2, utilization: 0.5, utilizationWindow: null },
    });
    assert.deepEqual(lines, [
      'scope:             service web',
      'builds:            10 (succeeded 8, failed 2)',
      'success rate:      80.0%',
      'avg build time:    12s',
      'avg artifact size: 1.0 MiB',
      'avg image size:    12.3 MiB',
      'avg bytes pushed:  2.0 KiB',
      'last good image:   registry.local:5000/web:v1@sha256:abc (build b7)',
      'queue length:      1',
      'workers:           2/4 busy (50.0%)',
    ]);
  });

  void it('renders stats of a service that never pushed an image', () => {
    const lines = statsLines({
      scope: { serviceId: null, label: null, since: null },
      total: 0,
      byStatus: {},
      successRate: null,
      averageBuildTimeMs: null,
      averageArtifactSize: null,
      averageImageSize: null,
      averageBytesPushed: null,
      lastGoodImage: null,
      queueLength: 0,
      workers: { slots: 1, busy: 0, utilization: 0, utilizationWindow: 0 },
    });
    assert.ok(lines.includes('avg image size:    -'));
    assert.ok(lines.includes('avg bytes pushed:  -'));
    assert.ok(lines.includes('last good image:   -'));
  });

  void it('renders cleanup results', () => {
    assert.deepEqual(cleanupLines({ deletedBuilds: 1, removedRoots: 2, keptBuilds: ['k1'], dryRun: true }), [
      'would delete 1 build, would remove 2 GC roots',
      'kept 1 (newest success of a service): k1',
      'dry run: nothing was deleted',
    ]);
    assert.deepEqual(cleanupLines({ deletedBuilds: 3, removedRoots: 1, keptBuilds: [], dryRun: false }), [
      'deleted 3 builds, removed 1 GC root',
    ]);
  });
});
