// The log of one build in memory (pure): raw lines, their plain text for search, the ANSI style
// each line starts with (terminal state carries across lines), and Nix phases seen in the text.
import { hasControls, isPlain, parseAnsi, PLAIN, type AnsiSegment, type AnsiStyle } from './ansi.js';

export interface PhaseMark {
  phase: string;
  /** 1-based line where it started, or null when known only from a progress event. */
  line: number | null;
  drv: string | null;
  at: number | null;
}

// nixpkgs' stdenv prints "Running phase: buildPhase" as each phase starts.
const PHASE_LINE = /^Running phase: (\w+)/;

export class LogModel {
  readonly texts: string[] = [];
  readonly plain: string[] = [];
  readonly streams: string[] = [];
  /** Style at the start of each line; shared PLAIN for the (usual) unstyled line. */
  readonly #starts: AnsiStyle[] = [];
  #carry: AnsiStyle = PLAIN;
  lastSeq = 0;
  readonly phases: PhaseMark[] = [];

  get length(): number {
    return this.texts.length;
  }

  /** Adds a line (in order); lines at or below the last seq seen are ignored (a reconnect's replay). */
  append(seq: number, text: string, stream = 'build'): boolean {
    if (seq <= this.lastSeq) return false;
    this.lastSeq = seq;
    this.#starts.push(this.#carry);
    if (hasControls(text)) {
      const { segments, end } = parseAnsi(text, this.#carry);
      this.#carry = isPlain(end) ? PLAIN : end;
      this.plain.push(segments.map((s) => s.text).join(''));
    } else this.plain.push(text);
    this.texts.push(text);
    this.streams.push(stream);
    const plain = this.plain[this.plain.length - 1] ?? '';
    const phase = PHASE_LINE.exec(plain.trimStart())?.[1];
    if (phase) this.phases.push({ phase, line: this.texts.length, drv: null, at: null });
    return true;
  }

  /** The styled segments of a 0-based line. */
  segments(index: number): AnsiSegment[] {
    const text = this.texts[index] ?? '';
    const start = this.#starts[index] ?? PLAIN;
    if (!hasControls(text)) return text === '' ? [] : [{ text, style: start }];
    return parseAnsi(text, start).segments;
  }
}
