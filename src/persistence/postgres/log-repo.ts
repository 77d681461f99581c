import { INITIAL_LOG_CAP_STATE, logCapMarkerText, planLogAppend } from '../log-cap.js';
import type { LogAppendPlan, LogCapState, SizedLine } from '../log-cap.js';
import type { LogLine, LogLineInput, LogRepo, LogStream } from '../types.js';
import type { PgDb } from './db.js';

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
/** Stored lines read per round trip when the cap has to look at them; doubled when short. */
const FIRST_READ = 1000;

const UPSERT_LINE_SQL = `
  INSERT INTO build_logs (build_id, seq, ts, stream, text, bytes)
  SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[])
  ON CONFLICT (build_id, seq) DO UPDATE SET
    ts = excluded.ts, stream = excluded.stream, text = excluded.text, bytes = excluded.bytes`;

/**
 * PostgreSQL text cannot hold NUL characters; a build printing one gets U+FFFD in its stored log
 * (sizes are measured after the replacement, so the cap stays exact).
 */
const storable = (text: string): string =>
  text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;

export class PgLogRepo implements LogRepo {
  constructor(private readonly db: PgDb) {}

  async append(buildId: string, lines: readonly LogLineInput[], capBytes: number): Promise<void> {
    if (lines.length === 0) return;
    const texts = lines.map((line) => storable(line.text));
    const sizes = texts.map((text) => Buffer.byteLength(text, 'utf8'));
    await this.db.transaction(async (tx) => {
      // The state row is the per-build lock: concurrent appends to one build take turns here.
      await tx.execute(
        `INSERT INTO build_log_state (build_id, next_seq, stored_bytes, head_end_seq, dropped_lines, dropped_bytes)
         VALUES ($1, 1, 0, NULL, 0, 0) ON CONFLICT (build_id) DO NOTHING`,
        [buildId],
      );
      const [stateRow] = await tx.query<LogStateRow>(
        'SELECT * FROM build_log_state WHERE build_id = $1 FOR UPDATE',
        [buildId],
      );
      const state = stateRow ? toState(stateRow) : { ...INITIAL_LOG_CAP_STATE };
      const incoming = lines.map((line, index) => ({ ts: line.ts, bytes: sizes[index] ?? 0 }));
      const plan = await planWithStored(tx, buildId, state, incoming, capBytes);
      if (plan.deleteStored) {
        await tx.execute('DELETE FROM build_logs WHERE build_id = $1 AND seq BETWEEN $2 AND $3', [
          buildId,
          plan.deleteStored.fromSeq,
          plan.deleteStored.toSeq,
        ]);
      }
      const batch = {
        seq: [] as number[],
        ts: [] as number[],
        stream: [] as string[],
        text: [] as string[],
        bytes: [] as number[],
      };
      for (const index of plan.insert) {
        const line = lines[index];
        if (!line) continue;
        batch.seq.push(state.nextSeq + index);
        batch.ts.push(line.ts);
        batch.stream.push(line.stream);
        batch.text.push(texts[index] ?? '');
        batch.bytes.push(sizes[index] ?? 0);
      }
      // The marker is written after the lines: its seq may be one of a line being dropped.
      if (plan.marker) {
        const { seq, ts, droppedLines, droppedBytes } = plan.marker;
        const text = logCapMarkerText(droppedLines, droppedBytes);
        const at = batch.seq.indexOf(seq);
        if (at >= 0) for (const column of Object.values(batch)) column.splice(at, 1);
        batch.seq.push(seq);
        batch.ts.push(ts);
        batch.stream.push(MARKER_STREAM);
        batch.text.push(text);
        batch.bytes.push(Buffer.byteLength(text, 'utf8'));
      }
      if (batch.seq.length > 0) {
        await tx.execute(UPSERT_LINE_SQL, [
          buildId,
          batch.seq,
          batch.ts,
          batch.stream,
          batch.text,
          batch.bytes,
        ]);
      }
      const next = plan.next;
      await tx.execute(
        `UPDATE build_log_state SET next_seq = $2, stored_bytes = $3, head_end_seq = $4,
           dropped_lines = $5, dropped_bytes = $6
         WHERE build_id = $1`,
        [buildId, next.nextSeq, next.storedBytes, next.headEndSeq, next.droppedLines, next.droppedBytes],
      );
    });
  }

  async read(buildId: string, afterSeq: number, limit: number): Promise<LogLine[]> {
    const rows = await this.db.query<LogRow>(
      'SELECT seq, ts, stream, text FROM build_logs WHERE build_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [buildId, afterSeq, limit],
    );
    return rows.map(rowToLine);
  }

  async tail(buildId: string, count: number): Promise<LogLine[]> {
    const rows = await this.db.query<LogRow>(
      'SELECT seq, ts, stream, text FROM build_logs WHERE build_id = $1 ORDER BY seq DESC LIMIT $2',
      [buildId, count],
    );
    return rows.map(rowToLine).reverse();
  }
}

/**
 * Runs the (synchronous, pure) cap planner against stored lines read ahead of it. The planner reads
 * stored lines lazily and only as far as it needs; when it reads past what was fetched while more
 * is stored, the read-ahead grows and the plan is made again, so the result is the same as with
 * every stored line at hand.
 */
async function planWithStored(
  db: PgDb,
  buildId: string,
  state: LogCapState,
  incoming: readonly { ts: number; bytes: number }[],
  capBytes: number,
): Promise<LogAppendPlan> {
  let fetched: { afterSeq: number; lines: SizedLine[]; complete: boolean } | undefined;
  let limit = FIRST_READ;
  for (;;) {
    let wanted: number | undefined;
    let ranOut = false;
    const plan = planLogAppend(state, incoming, capBytes, (afterSeq) => {
      if (fetched?.afterSeq !== afterSeq) {
        wanted = afterSeq;
        return [];
      }
      return readAhead(fetched.lines, () => (ranOut = true));
    });
    if (wanted === undefined && !(ranOut && fetched && !fetched.complete)) return plan;
    const afterSeq = wanted ?? fetched?.afterSeq ?? 0;
    if (wanted === undefined) limit *= 4;
    const lines = await db.query<SizedLine>(
      'SELECT seq, ts, bytes FROM build_logs WHERE build_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [buildId, afterSeq, limit],
    );
    fetched = { afterSeq, lines, complete: lines.length < limit };
  }
}

/** Yields `lines`, calling `onEnd` if the reader asks for more than there is. */
function* readAhead(lines: readonly SizedLine[], onEnd: () => void): Generator<SizedLine> {
  yield* lines;
  onEnd();
}

function toState(row: LogStateRow): LogCapState {
  return {
    nextSeq: row.next_seq,
    storedBytes: row.stored_bytes,
    headEndSeq: row.head_end_seq,
    droppedLines: row.dropped_lines,
    droppedBytes: row.dropped_bytes,
  };
}

function rowToLine(row: LogRow): LogLine {
  // Only this backend writes the column, always from a LogStream.
  return { seq: row.seq, ts: row.ts, stream: row.stream as LogStream, text: row.text };
}
