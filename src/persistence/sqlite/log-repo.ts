import type { Database } from 'better-sqlite3';
import { INITIAL_LOG_CAP_STATE, logCapMarkerText, planLogAppend } from '../log-cap.js';
import type { LogCapState, SizedLine } from '../log-cap.js';
import type { LogLine, LogLineInput, LogRepo, LogStream } from '../types.js';
import { settle } from './settle.js';

interface LogRow {
  seq: number;
  ts: number;
  stream: string;
  text: string;
}

interface LogStateRow {
  next_seq: number;
  stored_bytes: number;
  head_end_seq: number | null;
  dropped_lines: number;
  dropped_bytes: number;
}

const MARKER_STREAM: LogStream = 'kiln';

export class SqliteLogRepo implements LogRepo {
  private readonly stateStatement;
  private readonly saveStateStatement;
  private readonly insertStatement;
  private readonly storedAfterStatement;
  private readonly deleteRangeStatement;
  private readonly readStatement;
  private readonly tailStatement;
  private readonly appendTransaction;

  constructor(db: Database) {
    this.stateStatement = db.prepare<[string], LogStateRow>(
      'SELECT * FROM build_log_state WHERE build_id = ?',
    );
    this.saveStateStatement = db.prepare<[string, number, number, number | null, number, number]>(`
      INSERT INTO build_log_state (build_id, next_seq, stored_bytes, head_end_seq, dropped_lines, dropped_bytes)
      VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (build_id) DO UPDATE SET next_seq = excluded.next_seq, stored_bytes = excluded.stored_bytes,
        head_end_seq = excluded.head_end_seq, dropped_lines = excluded.dropped_lines,
        dropped_bytes = excluded.dropped_bytes`);
    // Also writes the marker: its seq may hold a line being dropped in the same append.
    this.insertStatement = db.prepare<[string, number, number, string, string, number]>(`
      INSERT INTO build_logs (build_id, seq, ts, stream, text, bytes) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (build_id, seq) DO UPDATE SET
        ts = excluded.ts, stream = excluded.stream, text = excluded.text, bytes = excluded.bytes`);
    this.storedAfterStatement = db.prepare<[string, number], SizedLine>(
      'SELECT seq, ts, bytes FROM build_logs WHERE build_id = ? AND seq > ? ORDER BY seq',
    );
    this.deleteRangeStatement = db.prepare<[string, number, number]>(
      'DELETE FROM build_logs WHERE build_id = ? AND seq BETWEEN ? AND ?',
    );
    this.readStatement = db.prepare<[string, number, number], LogRow>(
      'SELECT seq, ts, stream, text FROM build_logs WHERE build_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.tailStatement = db.prepare<[string, number], LogRow>(
      'SELECT seq, ts, stream, text FROM build_logs WHERE build_id = ? ORDER BY seq DESC LIMIT ?',
    );
    this.appendTransaction = db.transaction(this.appendNow.bind(this));
  }

  append(buildId: string, lines: readonly LogLineInput[], capBytes: number): Promise<void> {
    return settle(() => {
      if (lines.length > 0) this.appendTransaction.immediate(buildId, lines, capBytes);
    });
  }

  read(buildId: string, afterSeq: number, limit: number): Promise<LogLine[]> {
    return settle(() => this.readStatement.all(buildId, afterSeq, limit).map(rowToLine));
  }

  tail(buildId: string, count: number): Promise<LogLine[]> {
    return settle(() => this.tailStatement.all(buildId, count).map(rowToLine).reverse());
  }

  /** One append, inside a transaction: plan against the stored state, then execute the plan. */
  private appendNow(buildId: string, lines: readonly LogLineInput[], capBytes: number): void {
    const state = this.loadState(buildId);
    const sizes = lines.map((line) => Buffer.byteLength(line.text, 'utf8'));
    const plan = planLogAppend(
      state,
      lines.map((line, index) => ({ ts: line.ts, bytes: sizes[index] ?? 0 })),
      capBytes,
      (afterSeq) => this.storedAfterStatement.iterate(buildId, afterSeq),
    );
    if (plan.deleteStored) {
      this.deleteRangeStatement.run(buildId, plan.deleteStored.fromSeq, plan.deleteStored.toSeq);
    }
    for (const index of plan.insert) {
      const line = lines[index];
      if (!line) continue;
      this.insertStatement.run(
        buildId,
        state.nextSeq + index,
        line.ts,
        line.stream,
        line.text,
        sizes[index] ?? 0,
      );
    }
    if (plan.marker) {
      const { seq, ts, droppedLines, droppedBytes } = plan.marker;
      const text = logCapMarkerText(droppedLines, droppedBytes);
      this.insertStatement.run(buildId, seq, ts, MARKER_STREAM, text, Buffer.byteLength(text, 'utf8'));
    }
    const next = plan.next;
    this.saveStateStatement.run(
      buildId,
      next.nextSeq,
      next.storedBytes,
      next.headEndSeq,
      next.droppedLines,
      next.droppedBytes,
    );
  }

  private loadState(buildId: string): LogCapState {
    const row = this.stateStatement.get(buildId);
    if (!row) return { ...INITIAL_LOG_CAP_STATE };
    return {
      nextSeq: row.next_seq,
      storedBytes: row.stored_bytes,
      headEndSeq: row.head_end_seq,
      droppedLines: row.dropped_lines,
      droppedBytes: row.dropped_bytes,
    };
  }
}

function rowToLine(row: LogRow): LogLine {
  // Only this module writes the column, always from a LogStream.
  return { seq: row.seq, ts: row.ts, stream: row.stream as LogStream, text: row.text };
}
