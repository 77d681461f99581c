import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { INITIAL_LOG_CAP_STATE, logCapMarkerText, planLogAppend } from '../../../src/persistence/log-cap.js';
import type { IncomingLine, LogCapState, SizedLine } from '../../../src/persistence/log-cap.js';

interface StoredLine extends SizedLine {
  marker: boolean;
}

/**
 * A backend reduced to a sorted map, executing plans exactly as the contract describes. It also
 * counts how many stored lines the planner pulled, to check that appends stay proportional to what
 * they drop.
 */
class SimulatedLog {
  state: LogCapState = { ...INITIAL_LOG_CAP_STATE };
  readonly lines = new Map<number, StoredLine>();
  pulled = 0;
  cursorsOpen = 0;

  append(incoming: readonly IncomingLine[], cap: number) {
    const plan = planLogAppend(this.state, incoming, cap, (afterSeq) => this.storedAfter(afterSeq));
    assert.equal(this.cursorsOpen, 0, 'the planner releases its cursor');
    if (plan.deleteStored) {
      for (const seq of [...this.lines.keys()]) {
        if (seq >= plan.deleteStored.fromSeq && seq <= plan.deleteStored.toSeq) this.lines.delete(seq);
      }
    }
    for (const index of plan.insert) {
      const line = incoming[index];
      assert.ok(line);
      const seq = this.state.nextSeq + index;
      assert.ok(!this.lines.has(seq), `seq ${seq} is free`);
      this.lines.set(seq, { seq, ts: line.ts, bytes: line.bytes, marker: false });
    }
    if (plan.marker) {
      const { seq, ts } = plan.marker;
      this.lines.set(seq, { seq, ts, bytes: 0, marker: true });
    }
    this.state = plan.next;
    return plan;
  }

  sorted(): StoredLine[] {
    return [...this.lines.values()].sort((a, b) => a.seq - b.seq);
  }

  private *storedAfter(afterSeq: number): Generator<SizedLine> {
    this.cursorsOpen += 1;
    try {
      for (const line of this.sorted()) {
        if (line.seq <= afterSeq) continue;
        this.pulled += 1;
        yield { seq: line.seq, ts: line.ts, bytes: line.bytes };
      }
    } finally {
      this.cursorsOpen -= 1;
    }
  }
}

const lineArbitrary = fc.record({ ts: fc.nat({ max: 1_000_000 }), bytes: fc.nat({ max: 120 }) });
const capArbitrary = fc.integer({ min: 0, max: 600 });

/** Splits `lines` into consecutive non-empty batches at the given cut points. */
function batch<T>(lines: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((cut) => cut % (lines.length + 1)))].sort((a, b) => a - b);
  const batches: T[][] = [];
  let start = 0;
  for (const point of [...points, lines.length]) {
    if (point > start) batches.push(lines.slice(start, point));
    start = Math.max(start, point);
  }
  return batches;
}

/** What the contract says the log must look like, from the whole log (seqs are 1-based positions). */
function expected(all: readonly IncomingLine[], cap: number) {
  const total = all.reduce((sum, line) => sum + line.bytes, 0);
  if (total <= cap) return { headCount: all.length, tailStart: all.length, dropped: 0 };
  let headCount = 0;
  let headBytes = 0;
  while (headCount < all.length && headBytes + (all[headCount]?.bytes ?? 0) <= Math.floor(cap / 2)) {
    headBytes += all[headCount]?.bytes ?? 0;
    headCount += 1;
  }
  let tailStart = all.length;
  let tailBytes = 0;
  while (tailStart > headCount && headBytes + tailBytes + (all[tailStart - 1]?.bytes ?? 0) <= cap) {
    tailBytes += all[tailStart - 1]?.bytes ?? 0;
    tailStart -= 1;
  }
  return { headCount, tailStart, dropped: tailStart - headCount };
}

void describe('planLogAppend', () => {
  void it('keeps everything while the log fits, whatever the batching', () => {
    fc.assert(
      fc.property(fc.array(lineArbitrary, { maxLength: 40 }), fc.array(fc.nat()), (lines, cuts) => {
        const cap = lines.reduce((sum, line) => sum + line.bytes, 0);
        const log = new SimulatedLog();
        for (const part of batch(lines, cuts)) log.append(part, cap);
        assert.deepEqual(
          log.sorted().map(({ seq, ts, bytes, marker }) => ({ seq, ts, bytes, marker })),
          lines.map((line, i) => ({ seq: i + 1, ...line, marker: false })),
        );
        assert.equal(log.state.headEndSeq, null);
      }),
    );
  });

  void it('stores the head, one marker and the tail defined on the whole log', () => {
    fc.assert(
      fc.property(
        fc.array(lineArbitrary, { maxLength: 80 }),
        fc.array(fc.nat()),
        capArbitrary,
        (lines, cuts, cap) => {
          const log = new SimulatedLog();
          for (const part of batch(lines, cuts)) log.append(part, cap);
          const { headCount, tailStart, dropped } = expected(lines, cap);
          const stored = log.sorted();
          const keptSeqs = stored.filter((line) => !line.marker).map((line) => line.seq);
          const expectedSeqs = [
            ...lines.slice(0, headCount).map((_, i) => i + 1),
            ...lines.slice(tailStart).map((_, i) => tailStart + i + 1),
          ];
          assert.deepEqual(keptSeqs, expectedSeqs);

          const markers = stored.filter((line) => line.marker);
          if (dropped === 0) {
            assert.equal(markers.length, 0);
            return;
          }
          assert.equal(markers.length, 1);
          const marker = markers[0];
          assert.ok(marker);
          // Right after the head, on the seq of the first dropped line, stamped like the last dropped one.
          assert.equal(marker.seq, headCount + 1);
          assert.equal(marker.ts, lines[tailStart - 1]?.ts);
          const droppedBytes = lines.slice(headCount, tailStart).reduce((sum, line) => sum + line.bytes, 0);
          assert.equal(log.state.droppedLines, dropped);
          assert.equal(log.state.droppedBytes, droppedBytes);
        },
      ),
    );
  });

  void it('keeps its byte count exact and within the cap', () => {
    fc.assert(
      fc.property(
        fc.array(lineArbitrary, { maxLength: 80 }),
        fc.array(fc.nat()),
        capArbitrary,
        (lines, cuts, cap) => {
          const log = new SimulatedLog();
          let appended = 0;
          for (const part of batch(lines, cuts)) {
            log.append(part, cap);
            appended += part.length;
            const storedBytes = log
              .sorted()
              .filter((line) => !line.marker)
              .reduce((sum, line) => sum + line.bytes, 0);
            assert.equal(log.state.storedBytes, storedBytes);
            assert.ok(storedBytes <= cap);
            assert.equal(log.state.nextSeq, appended + 1);
            const storedLines = log.sorted().filter((line) => !line.marker).length;
            assert.equal(storedLines + log.state.droppedLines, appended);
          }
        },
      ),
    );
  });

  void it('reads no more stored lines than it drops, once the head is fixed', () => {
    fc.assert(
      fc.property(
        fc.array(lineArbitrary, { minLength: 1, maxLength: 80 }),
        fc.array(fc.nat()),
        capArbitrary,
        (lines, cuts, cap) => {
          const log = new SimulatedLog();
          for (const part of batch(lines, cuts)) {
            const headFixed = log.state.headEndSeq !== null;
            const droppedBefore = log.state.droppedLines;
            log.pulled = 0;
            log.append(part, cap);
            if (!headFixed) continue;
            const droppedNow = log.state.droppedLines - droppedBefore;
            // Every line pulled is dropped, except one line of lookahead.
            assert.ok(log.pulled <= droppedNow + 1, `pulled ${log.pulled}, dropped ${droppedNow}`);
          }
        },
      ),
    );
  });

  void it('plans nothing for an empty append', () => {
    const state: LogCapState = {
      nextSeq: 7,
      storedBytes: 500,
      headEndSeq: 2,
      droppedLines: 3,
      droppedBytes: 40,
    };
    const plan = planLogAppend(state, [], 10, () => {
      throw new Error('no read needed');
    });
    assert.deepEqual(plan, { insert: [], deleteStored: null, marker: null, next: state });
  });

  void it('treats a negative or fractional cap as its floor at zero', () => {
    const log = new SimulatedLog();
    log.append([{ ts: 1, bytes: 3 }], -5);
    assert.deepEqual(
      log.sorted().map((line) => line.marker),
      [true],
    );
    assert.equal(log.state.droppedBytes, 3);
  });
});

void describe('logCapMarkerText', () => {
  void it('says how many lines and bytes were dropped', () => {
    assert.equal(logCapMarkerText(1234, 5678), '… 1234 lines (5678 bytes) dropped by the log cap …');
    assert.equal(logCapMarkerText(1, 1), '… 1 line (1 byte) dropped by the log cap …');
  });
});
