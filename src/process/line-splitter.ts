import { StringDecoder } from 'node:string_decoder';

/** Default cap on one delivered line, in UTF-16 code units; longer lines arrive in pieces. */
export const DEFAULT_MAX_LINE_CHARS = 1024 * 1024;

/**
 * Turns a byte stream into lines. A StringDecoder keeps multi-byte UTF-8 sequences that straddle
 * chunk boundaries intact (invalid bytes become U+FFFD instead of throwing). Pending text is kept
 * as a list of pieces so a very long line costs O(n), not O(n²), and it is cut at `maxLineChars`
 * so one runaway line cannot exhaust memory.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #onLine: (line: string) => void;
  readonly #maxLineChars: number;
  #pending: string[] = [];
  #pendingChars = 0;

  constructor(onLine: (line: string) => void, maxLineChars = DEFAULT_MAX_LINE_CHARS) {
    if (!Number.isInteger(maxLineChars) || maxLineChars < 2)
      throw new RangeError('maxLineChars must be >= 2');
    this.#onLine = onLine;
    this.#maxLineChars = maxLineChars;
  }

  push(chunk: Buffer | string): void {
    this.#consume(typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
  }

  /** Delivers whatever is left, as a last line without a terminator. */
  end(): void {
    this.#consume(this.#decoder.end());
    if (this.#pendingChars > 0) this.#emit(this.#takePending(''));
  }

  #consume(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      this.#emit(this.#takePending(text.slice(start, nl)));
      start = nl + 1;
    }
    if (start < text.length) {
      const rest = text.slice(start);
      this.#pending.push(rest);
      this.#pendingChars += rest.length;
      if (this.#pendingChars > this.#maxLineChars) this.#cutPending();
    }
  }

  #takePending(tail: string): string {
    if (this.#pendingChars === 0) return tail;
    this.#pending.push(tail);
    const line = this.#pending.join('');
    this.#pending = [];
    this.#pendingChars = 0;
    return line;
  }

  /** Emits full-size pieces of an unterminated line and keeps the remainder pending. */
  #cutPending(): void {
    let text = this.#takePending('');
    while (text.length > this.#maxLineChars) {
      const cut = safeCut(text, this.#maxLineChars);
      this.#onLine(text.slice(0, cut));
      text = text.slice(cut);
    }
    if (text.length > 0) {
      this.#pending = [text];
      this.#pendingChars = text.length;
    }
  }

  #emit(line: string): void {
    let text = line.endsWith('\r') ? line.slice(0, -1) : line;
    while (text.length > this.#maxLineChars) {
      const cut = safeCut(text, this.#maxLineChars);
      this.#onLine(text.slice(0, cut));
      text = text.slice(cut);
    }
    this.#onLine(text);
  }
}

/** A cut position at or before `max` that does not split a UTF-16 surrogate pair. */
function safeCut(text: string, max: number): number {
  const code = text.charCodeAt(max - 1);
  return code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
}
