/**
 * The log cap as a pure decision, shared by every backend: given what is stored for a build and the
 * lines being appended, which lines to store, which stored lines to delete, and what the marker
 * says. Backends only execute the plan.
 *
 * The kept log is always: a head (the longest prefix of the whole log within half the cap, fixed the
 * first time the cap is exceeded), one marker line, and a tail (the longest suffix of the whole log
 * that fits in what the head leaves of the cap). Because both ends are defined on the whole log, the
 * result does not depend on how lines were batched into appends.
 *
 * The marker takes the seq right after the head: that seq always belonged to a dropped line, so seqs
 * stay unique and increasing without renumbering anything.
 */

/** Per-build bookkeeping that lets an append check the cap without rescanning the log. */
export interface LogCapState {
  /** Seq given to the next appended line; seqs start at 1. */
  nextSeq: number;
  /** Sum of the byte lengths of stored lines, the marker excluded. */
  storedBytes: number;
  /** Last seq of the head once the cap has triggered (one less than the first seq if the head is empty); null before. */
  headEndSeq: number | null;
  droppedLines: number;
  droppedBytes: number;
}

export const INITIAL_LOG_CAP_STATE: Readonly<LogCapState> = {
  nextSeq: 1,
  storedBytes: 0,
  headEndSeq: null,
  droppedLines: 0,
  droppedBytes: 0,
};

/** A stored line as the planner needs it: no text, just its size. */
export interface SizedLine {
  seq: number;
  ts: number;
  bytes: number;
}

/** A line being appended, by size. */
export interface IncomingLine {
  ts: number;
  bytes: number;
}

export interface LogCapMarker {
  seq: number;
  /** Timestamp of the newest dropped line, so that timestamps stay in order around the marker. */
  ts: number;
  droppedLines: number;
  droppedBytes: number;
}

export interface LogAppendPlan {
  /** Indexes into the incoming lines of those to store; line i gets seq `state.nextSeq + i`. */
  insert: number[];
  /** Inclusive seq range of stored lines to delete (it may cover the marker's seq; the marker is rewritten after). */
  deleteStored: { fromSeq: number; toSeq: number } | null;
  /** The marker to write (insert or replace) at its seq, when this append dropped lines. */
  marker: LogCapMarker | null;
  next: LogCapState;
}

/**
 * `readStoredAfter(seq)` must yield the stored non-marker lines with a seq above `seq`, oldest first.
 * It is read lazily and only as far as needed (lines that end up dropped, plus the head the first
 * time the cap triggers), so that an append costs no more than what it drops.
 */
export function planLogAppend(
  state: Readonly<LogCapState>,
  incoming: readonly IncomingLine[],
  capBytes: number,
  readStoredAfter: (seq: number) => Iterable<SizedLine>,
): LogAppendPlan {
  const cap = Math.max(0, Math.floor(capBytes));
  const incomingBytes = incoming.reduce((sum, line) => sum + line.bytes, 0);
  const totalBytes = state.storedBytes + incomingBytes;
  const next: LogCapState = {
    ...state,
    nextSeq: state.nextSeq + incoming.length,
    storedBytes: totalBytes,
  };
  const allIncoming = incoming.map((_, index) => index);
  if (incoming.length === 0 || totalBytes <= cap) {
    return { insert: allIncoming, deleteStored: null, marker: null, next };
  }

  // Before the first trigger nothing was dropped, so the stored lines are seqs 1.. without gaps;
  // after it, the droppable lines are those after the marker.
  const afterSeq = state.headEndSeq === null ? 0 : state.headEndSeq + 1;
  const stored = readStoredAfter(afterSeq)[Symbol.iterator]();
  try {
    const walk = new OldestFirst(stored, incoming, state.nextSeq);
    let headEndSeq = state.headEndSeq;
    if (headEndSeq === null) {
      const half = Math.floor(cap / 2);
      let headBytes = 0;
      headEndSeq = (walk.peek()?.seq ?? state.nextSeq) - 1;
      for (let line = walk.peek(); line && headBytes + line.bytes <= half; line = walk.peek()) {
        headBytes += line.bytes;
        headEndSeq = line.seq;
        walk.advance();
      }
    }
    const headIncomingEnd = walk.incomingPosition;

    let excess = totalBytes - cap;
    let droppedLines = 0;
    let droppedBytes = 0;
    let lastDropped: SizedLine | undefined;
    let lastDroppedStoredSeq: number | undefined;
    for (let line = walk.peek(); line && excess > 0; line = walk.peek()) {
      excess -= line.bytes;
      droppedLines += 1;
      droppedBytes += line.bytes;
      lastDropped = line;
      if (!line.incoming) lastDroppedStoredSeq = line.seq;
      walk.advance();
    }
    const dropIncomingEnd = walk.incomingPosition;

    const markerSeq = headEndSeq + 1;
    next.headEndSeq = headEndSeq;
    next.storedBytes = totalBytes - droppedBytes;
    next.droppedLines = state.droppedLines + droppedLines;
    next.droppedBytes = state.droppedBytes + droppedBytes;
    return {
      insert: allIncoming.filter((index) => index < headIncomingEnd || index >= dropIncomingEnd),
      deleteStored:
        lastDroppedStoredSeq === undefined ? null : { fromSeq: markerSeq, toSeq: lastDroppedStoredSeq },
      marker:
        lastDropped === undefined
          ? null
          : {
              seq: markerSeq,
              ts: lastDropped.ts,
              droppedLines: next.droppedLines,
              droppedBytes: next.droppedBytes,
            },
      next,
    };
  } finally {
    // Releases a lazily read database cursor if the walk stopped early.
    stored.return?.();
  }
}

/** The text of the marker line. */
export function logCapMarkerText(droppedLines: number, droppedBytes: number): string {
  const lines = droppedLines === 1 ? 'line' : 'lines';
  const bytes = droppedBytes === 1 ? 'byte' : 'bytes';
  return `… ${droppedLines} ${lines} (${droppedBytes} ${bytes}) dropped by the log cap …`;
}

interface WalkedLine extends SizedLine {
  incoming: boolean;
}

/** Walks the stored lines, then the incoming ones, oldest first, with one line of lookahead. */
class OldestFirst {
  private current: WalkedLine | undefined;
  private storedDone = false;
  /** Index of the next incoming line not yet walked past. */
  incomingPosition = 0;

  constructor(
    private readonly stored: Iterator<SizedLine>,
    private readonly incoming: readonly IncomingLine[],
    private readonly firstIncomingSeq: number,
  ) {
    this.current = this.read();
  }

  peek(): WalkedLine | undefined {
    return this.current;
  }

  advance(): void {
    if (this.current?.incoming) this.incomingPosition += 1;
    this.current = this.read();
  }

  private read(): WalkedLine | undefined {
    if (!this.storedDone) {
      const result = this.stored.next();
      if (result.done !== true) return { ...result.value, incoming: false };
      this.storedDone = true;
    }
    const line = this.incoming[this.incomingPosition];
    if (line === undefined) return undefined;
    return {
      seq: this.firstIncomingSeq + this.incomingPosition,
      ts: line.ts,
      bytes: line.bytes,
      incoming: true,
    };
  }
}
