import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  findDescendants,
  parseProcStat,
  processStartTime,
  readProcStat,
  type ProcStat,
} from '../../../src/process/index.js';

const line = (pid: number, comm: string, ppid: number, pgid: number, sid: number, start: number): string =>
  `${pid} (${comm}) S ${ppid} ${pgid} ${sid} 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 ${start} 1000 10 18446744073709551615`;

describe('parseProcStat', () => {
  it('reads pid, state, ppid, pgid, session and start time (field 22)', () => {
    assert.deepEqual(parseProcStat(line(42, 'nix-store', 1, 42, 42, 123456)), {
      pid: 42,
      state: 'S',
      ppid: 1,
      pgid: 42,
      sid: 42,
      startTime: '123456',
    });
  });

  it('copes with spaces and parentheses in the command name', () => {
    const stat = parseProcStat(line(7, 'evil) S 1 2 3 (name', 5, 6, 7, 99));
    assert.equal(stat?.ppid, 5);
    assert.equal(stat?.startTime, '99');
  });

  it('rejects garbage', () => {
    assert.equal(parseProcStat(''), null);
    assert.equal(parseProcStat('12 (x) S 1 2'), null);
    assert.equal(parseProcStat('x (y) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 0 0 1 0 5'), null);
  });

  it('reads this very process', () => {
    const self = readProcStat(process.pid);
    assert.equal(self?.pid, process.pid);
    assert.equal(self?.ppid, process.ppid);
    assert.match(processStartTime(process.pid) ?? '', /^\d+$/);
    assert.equal(readProcStat(0x7ffffff0), null);
  });
});

describe('findDescendants', () => {
  const p = (pid: number, ppid: number): ProcStat => ({
    pid,
    ppid,
    pgid: pid,
    sid: pid,
    state: 'S',
    startTime: '1',
  });
  const table = [p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(13, 10), p(20, 1), p(21, 20)];

  it('walks ppid links to every depth, excluding the root', () => {
    assert.deepEqual(
      findDescendants([10], table)
        .map((s) => s.pid)
        .sort((a, b) => a - b),
      [11, 12, 13],
    );
    assert.deepEqual(findDescendants([12], table), []);
    assert.deepEqual(
      findDescendants([11, 20], table)
        .map((s) => s.pid)
        .sort((a, b) => a - b),
      [12, 21],
    );
  });

  it('survives ppid cycles', () => {
    assert.deepEqual(
      findDescendants([100], [p(100, 101), p(101, 100)]).map((s) => s.pid),
      [101],
    );
  });
});
