// A Server-Sent Events frame parser (pure): feed it text chunks as they arrive, get events out.
// Follows the WHATWG rules: `event:`, `data:` (joined with \n), `id:`, comments (`:`), CR/LF/CRLF
// line ends, a blank line dispatches, an event with no data is not dispatched.

export interface SseEvent {
  event: string;
  data: string;
  id: string | null;
}

export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #id: string | null = null;
  #lastId: string | null = null;
  #sawCr = false;

  /** The last `id:` seen (the Last-Event-ID to resume from). */
  get lastEventId(): string | null {
    return this.#lastId;
  }

  /** Parses a chunk of text; returns the events completed by it. */
  push(chunk: string): SseEvent[] {
    let text = chunk;
    // A CRLF may be split across chunks: drop the LF that follows a CR we already ended a line on.
    if (this.#sawCr && text.startsWith('\n')) text = text.slice(1);
    this.#sawCr = false;
    this.#buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const c = this.#buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      const line = this.#buffer.slice(start, i);
      if (c === '\r') {
        if (i + 1 < this.#buffer.length) {
          if (this.#buffer[i + 1] === '\n') i++;
        } else this.#sawCr = true;
      }
      start = i + 1;
      const event = this.#line(line);
      if (event) events.push(event);
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  #line(line: string): SseEvent | null {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    return null;
  }

  #dispatch(): SseEvent | null {
    const hadData = this.#data.length > 0;
    if (this.#id !== null) this.#lastId = this.#id;
    const event: SseEvent = { event: this.#event || 'message', data: this.#data.join('\n'), id: this.#id };
    this.#event = '';
    this.#data = [];
    this.#id = null;
    return hadData ? event : null;
  }
}
