import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cellKey,
  cellStatus,
  columnName,
  countCells,
  evaluationBuild,
  groupStatus,
  groupTimes,
  matrixGrid,
  rowName,
} from '../../../src/web/client/group-model.js';
import type { BuildStatus, BuildView } from '../../../src/web/client/types.js';

type GroupBuild = Pick<
  BuildView,
  | 'id'
  | 'status'
  | 'cached'
  | 'system'
  | 'attrPath'
  | 'source'
  | 'createdAt'
  | 'startedAt'
  | 'finishedAt'
  | 'durationMs'
>;

let counter = 0;
function build(fields: Partial<GroupBuild> = {}): GroupBuild {
  counter += 1;
  return {
    id: `b${counter}`,
    status: 'succeeded',
    cached: false,
    system: 'x86_64-linux',
    attrPath: null,
    source: { kind: 'git', url: 'https://example.org/repo.git' },
    createdAt: '2026-11-22T05:00:00.000Z',
    startedAt: null,
    finishedAt: '2026-11-22T05:01:00.000Z',
    durationMs: null,
    ...fields,
  };
}

const child = (
  attrPath: string,
  system: string,
  status: BuildStatus = 'succeeded',
  extra: Partial<GroupBuild> = {},
) => build({ attrPath, system, status, ...extra });

describe('group model', () => {
  it('names rows by attribute without the system and columns by system', () => {
    assert.equal(rowName(child('checks.x86_64-linux.test', 'x86_64-linux')), 'checks.test');
    assert.equal(rowName(child('packages.i686-linux.hello.lib', 'i686-linux')), 'packages.hello.lib');
    // A -A path has no system segment to drop.
    assert.equal(rowName(child('hello', 'x86_64-linux')), 'hello');
    assert.equal(rowName(build({ attrPath: null, source: { kind: 'git', attr: 'web' } })), 'web');
    assert.equal(rowName(build({ attrPath: null })), 'default');
    assert.equal(columnName(child('checks.i686-linux.test', 'i686-linux')), 'i686-linux');
    assert.equal(
      columnName(build({ system: null, attrPath: 'checks.aarch64-darwin.test' })),
      'aarch64-darwin',
    );
    assert.equal(columnName(build({ system: null, attrPath: 'hello' })), '—');
  });

  it('shows a success answered from the cache as cached', () => {
    assert.equal(cellStatus({ status: 'succeeded', cached: true }), 'cached');
    assert.equal(cellStatus({ status: 'succeeded', cached: false }), 'succeeded');
    assert.equal(cellStatus({ status: 'dependency_failed', cached: false }), 'dependency_failed');
  });

  it('finds the evaluation build by its matrix source', () => {
    const evaluation = build({
      source: { kind: 'git', matrix: { sets: ['checks'], attrs: [], systems: ['x86_64-linux'] } },
    });
    const children = [child('checks.x86_64-linux.a', 'x86_64-linux')];
    assert.equal(evaluationBuild([...children, evaluation]), evaluation);
    assert.equal(evaluationBuild(children), null);
  });

  it('lays the children out by attribute x system, sorted, with empty cells missing', () => {
    const a64 = child('checks.x86_64-linux.a', 'x86_64-linux', 'failed');
    const a32 = child('checks.i686-linux.a', 'i686-linux', 'succeeded', { cached: true });
    const b64 = child('packages.x86_64-linux.b', 'x86_64-linux', 'dependency_failed');
    const grid = matrixGrid([b64, a64, a32]);
    assert.deepEqual(grid.rows, ['checks.a', 'packages.b']);
    assert.deepEqual(grid.columns, ['i686-linux', 'x86_64-linux']);
    assert.deepEqual(grid.cells.get(cellKey('checks.a', 'x86_64-linux')), [a64]);
    assert.deepEqual(grid.cells.get(cellKey('checks.a', 'i686-linux')), [a32]);
    assert.equal(grid.cells.get(cellKey('packages.b', 'i686-linux')), undefined);
  });

  it('counts cells per shown status', () => {
    const counts = countCells([
      { status: 'succeeded', cached: false },
      { status: 'succeeded', cached: true },
      { status: 'succeeded', cached: true },
      { status: 'dependency_failed', cached: false },
    ]);
    assert.equal(counts.succeeded, 1);
    assert.equal(counts.cached, 2);
    assert.equal(counts.dependency_failed, 1);
    assert.equal(counts.failed, 0);
  });

  it('derives the overall status like the group API: any failure first, then running, pending', () => {
    const st = (...statuses: BuildStatus[]) => groupStatus(statuses.map((status) => ({ status })));
    assert.equal(st('running'), 'running');
    assert.equal(st('succeeded', 'pending'), 'running');
    assert.equal(st('pending', 'pending'), 'pending');
    // A failed child fails the group at once, even while others still run.
    assert.equal(st('succeeded', 'running', 'failed'), 'failed');
    assert.equal(st('succeeded', 'dependency_failed'), 'failed');
    assert.equal(st('succeeded', 'timed_out'), 'failed');
    assert.equal(st('succeeded', 'cancelled'), 'cancelled');
    assert.equal(st('succeeded', 'superseded'), 'cancelled');
    assert.equal(st('succeeded', 'succeeded'), 'succeeded');
    assert.equal(st(), 'pending');
  });

  it('measures wall time from the first creation to the last finish and sums build time', () => {
    const builds = [
      build({
        createdAt: '2026-11-22T05:00:00.000Z',
        finishedAt: '2026-11-22T05:00:30.000Z',
        durationMs: 20_000,
      }),
      build({
        createdAt: '2026-11-22T05:00:05.000Z',
        finishedAt: '2026-11-22T05:02:00.000Z',
        durationMs: 100_000,
      }),
      build({
        createdAt: '2026-11-22T05:00:05.000Z',
        finishedAt: '2026-11-22T05:00:05.000Z',
        durationMs: null,
      }),
    ];
    assert.deepEqual(groupTimes(builds, Date.parse('2026-11-22T06:00:00.000Z')), {
      wallMs: 120_000,
      buildMs: 120_000,
    });
    // While something runs, the wall clock runs to now.
    const open = [
      ...builds,
      build({ status: 'running', createdAt: '2026-11-22T05:01:00.000Z', finishedAt: null }),
    ];
    assert.equal(groupTimes(open, Date.parse('2026-11-22T05:05:00.000Z')).wallMs, 300_000);
    assert.deepEqual(groupTimes([], 0), { wallMs: null, buildMs: 0 });
  });
});
