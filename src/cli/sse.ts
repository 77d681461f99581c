/**
 * An incremental parser for Server-Sent Events (the WHATWG "event stream" format). It is pure and
 * push-based: feed it chunks as they arrive, cut anywhere (even between a CR and its LF, or inside
 * a UTF-8 sequence when fed bytes), and it returns what each chunk completed.
 */

export interface SseEvent {
  type: 'event';
  /** The `event:` field, `message` when absent. */
  event: string;
  /** The `data:` lines joined with LF. */
  data: string;
  /** The last event id seen so far (it persists across events, as in the spec). */
  id: string;
}

export interface SseComment {
  type: 'comment';
  /** Text after the colon, e.g. ` ping`. */
  text: string;
}

export interface SseRetry {
  type: 'retry';
  /** Reconnection delay the server asks for. */
  ms: number;
}

export type SseMessage = SseEvent | SseComment | SseRetry;

/** A line longer than this is a broken or hostile server, not a log line: stop instead of growing. */
const MAX_LINE_CHARS = 16 * 1024 * 1024;

export class SseParser {
  private buffer = '';
  /** The previous chunk ended with CR: an LF at the start of the next chunk belongs to it. */
  private pendingCr = false;
  private started = false;
  private eventType = '';
  private data: string[] = [];
  private hasData = false;
  private lastId = '';
  private readonly decoder = new TextDecoder('utf-8');

  /** The id to send back as `Last-Event-ID` when reconnecting. */
  get lastEventId(): string {
    return this.lastId;
  }

  /** Feeds a chunk (text or raw bytes) and returns the messages it completed. */
  push(chunk: string | Uint8Array): SseMessage[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      // A leading byte-order mark is not part of the first field name.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCr && text.length > 0) {
      this.pendingCr = false;
      if (text[0] === '\n') text = text.slice(1);
    }
    this.buffer += text;
    const out: SseMessage[] = [];
    let start = 0;
    for (;;) {
      const cr = this.buffer.indexOf('\r', start);
      const lf = this.buffer.indexOf('\n', start);
      if (cr < 0 && lf < 0) break;
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        end = cr;
        if (cr + 1 === this.buffer.length) {
          // Cannot tell yet whether an LF follows: end the line now, swallow a leading LF later.
          this.pendingCr = true;
          next = cr + 1;
        } else {
          next = this.buffer[cr + 1] === '\n' ? cr + 2 : cr + 1;
        }
      } else {
        end = lf;
        next = lf + 1;
      }
      this.processLine(this.buffer.slice(start, end), out);
      start = next;
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > MAX_LINE_CHARS) {
      throw new Error(`event stream line longer than ${MAX_LINE_CHARS} characters`);
    }
    return out;
  }

  /**
   * Ends the stream. Per the spec whatever is pending is discarded: an event without its
   * terminating blank line is never dispatched, and neither is an unterminated last line.
   */
  end(): SseMessage[] {
    this.decoder.decode();
    this.buffer = '';
    this.pendingCr = false;
    this.eventType = '';
    this.data = [];
    this.hasData = false;
    return [];
  }

  private processLine(line: string, out: SseMessage[]): void {
    if (line === '') {
      this.dispatch(out);
      return;
    }
    if (line.startsWith(':')) {
      out.push({ type: 'comment', text: line.slice(1) });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'id':
        // The spec ignores ids containing NUL (they could never be sent back in a header).
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) out.push({ type: 'retry', ms: Number(value) });
        break;
      default:
        // Unknown fields are ignored, as the spec requires.
        break;
    }
  }

  private dispatch(out: SseMessage[]): void {
    if (this.hasData) {
      out.push({
        type: 'event',
        event: this.eventType || 'message',
        data: this.data.join('\n'),
        id: this.lastId,
      });
    }
    this.eventType = '';
    this.data = [];
    this.hasData = false;
  }
}

/** Parses a whole stream at once (tests and small fixtures). */
export function parseSse(text: string): SseMessage[] {
  const parser = new SseParser();
  return [...parser.push(text), ...parser.end()];
}
