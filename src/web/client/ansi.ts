// ANSI escape sequences in log lines (pure): SGR colours and attributes become styled segments;
// every other control sequence (cursor moves, erase, OSC titles and links) is dropped.

/** A colour: one of the 16 palette entries (themed by CSS), a 256-colour index, or RGB. */
export type AnsiColor =
  | { kind: 'palette'; index: number }
  | { kind: 'indexed'; index: number }
  | { kind: 'rgb'; r: number; g: number; b: number };

export interface AnsiStyle {
  fg: AnsiColor | null;
  bg: AnsiColor | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  inverse: boolean;
  strike: boolean;
}

export interface AnsiSegment {
  text: string;
  style: AnsiStyle;
}

export const PLAIN: AnsiStyle = Object.freeze({
  fg: null,
  bg: null,
  bold: false,
  dim: false,
  italic: false,
  underline: false,
  inverse: false,
  strike: false,
});

export function isPlain(style: AnsiStyle): boolean {
  return (
    style.fg === null &&
    style.bg === null &&
    !style.bold &&
    !style.dim &&
    !style.italic &&
    !style.underline &&
    !style.inverse &&
    !style.strike
  );
}

/** Whether a line has anything for the parser to do (fast path for the usual plain line). */
export function hasControls(text: string): boolean {
  return CONTROLS.test(text);
}
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f\x9b]/;

/**
 * Parses one line. `start` is the style carried over from the previous line (terminals keep SGR
 * state across newlines); the result's `end` is what the next line starts with. A carriage
 * return starts the line over (progress bars), keeping the style.
 */
export function parseAnsi(
  text: string,
  start: AnsiStyle = PLAIN,
): { segments: AnsiSegment[]; end: AnsiStyle } {
  let style = start;
  let segments: AnsiSegment[] = [];
  let chunk = '';
  const flush = (): void => {
    if (chunk === '') return;
    const last = segments[segments.length - 1];
    if (last && last.style === style) last.text += chunk;
    else segments.push({ text: chunk, style });
    chunk = '';
  };
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x1b || c === 0x9b) {
      const csiStart = c === 0x9b ? i + 1 : text[i + 1] === '[' ? i + 2 : -1;
      if (csiStart >= 0) {
        // CSI: parameter bytes 0x30–0x3F, intermediates 0x20–0x2F, a final byte 0x40–0x7E.
        let j = csiStart;
        while (j < text.length && text.charCodeAt(j) >= 0x20 && text.charCodeAt(j) <= 0x3f) j++;
        const final = text[j];
        if (final === undefined) {
          i = text.length; // truncated sequence: drop it
          break;
        }
        if (final === 'm') {
          const next = applySgr(style, text.slice(csiStart, j));
          if (next !== style) {
            flush();
            style = next;
          }
        }
        i = j + 1;
        continue;
      }
      if (text[i + 1] === ']') {
        // OSC: up to BEL or ST (ESC \).
        let j = i + 2;
        while (j < text.length && text[j] !== '\x07' && !(text[j] === '\x1b' && text[j + 1] === '\\')) j++;
        i = j >= text.length ? j : text[j] === '\x07' ? j + 1 : j + 2;
        continue;
      }
      // Any other escape: ESC and the byte after it.
      i += 2;
      continue;
    }
    if (c === 0x0d) {
      // A carriage return overwrites the line, unless nothing follows it.
      if (i + 1 < text.length) {
        chunk = '';
        segments = [];
      }
      i++;
      continue;
    }
    // Other C0 controls except tab are invisible noise in a log.
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      i++;
      continue;
    }
    chunk += text[i];
    i++;
  }
  flush();
  return { segments, end: style };
}

/** The line's text without escape sequences (what search looks at). */
export function stripAnsi(text: string): string {
  if (!hasControls(text)) return text;
  return parseAnsi(text)
    .segments.map((s) => s.text)
    .join('');
}

/** Applies an SGR parameter string (`1;31`, `38;5;208`, `38;2;255;0;0`, `38:2::255:0:0`, ``) to a style. */
export function applySgr(style: AnsiStyle, params: string): AnsiStyle {
  const groups = params === '' ? ['0'] : params.split(';');
  const num = (p: string | undefined): number | undefined =>
    p === undefined ? undefined : p === '' ? 0 : Number(p);
  const next: AnsiStyle = { ...style };
  for (let k = 0; k < groups.length; k++) {
    const group = groups[k] ?? '';
    if (group.includes(':')) {
      // ISO 8613-6 sub-parameters, self-contained: 38:5:N, 38:2:[colourspace:]R:G:B, 4:3 (curly).
      const sub = group.split(':').map(num);
      const code = sub[0];
      if (code === 38 || code === 48) {
        const color =
          sub[1] === 5
            ? paletteColor(sub[2])
            : sub[1] === 2
              ? rgbColor(sub.length >= 6 ? sub.slice(3, 6) : sub.slice(2, 5))
              : null;
        if (color) {
          if (code === 38) next.fg = color;
          else next.bg = color;
        }
      } else if (code === 4) next.underline = sub[1] !== 0;
      continue;
    }
    const code = num(group) ?? 0;
    if (!Number.isInteger(code)) continue;
    if (code === 38 || code === 48) {
      // 38;5;N and 38;2;R;G;B take the next groups as their arguments.
      const mode = num(groups[k + 1]);
      let color: AnsiColor | null = null;
      if (mode === 5) {
        color = paletteColor(num(groups[k + 2]));
        k += 2;
      } else if (mode === 2) {
        color = rgbColor(groups.slice(k + 2, k + 5).map(num));
        k += 4;
      } else k += 1;
      if (color) {
        if (code === 38) next.fg = color;
        else next.bg = color;
      }
      continue;
    }
    applyCode(next, code);
  }
  if (sameStyle(next, style)) return style;
  return isPlain(next) ? PLAIN : next;
}

function applyCode(next: AnsiStyle, code: number): void {
  if (code === 0) Object.assign(next, PLAIN);
  else if (code === 1) next.bold = true;
  else if (code === 2) next.dim = true;
  else if (code === 3) next.italic = true;
  else if (code === 4 || code === 21)
    next.underline = true; // 21: doubly underlined (xterm)
  else if (code === 7) next.inverse = true;
  else if (code === 9) next.strike = true;
  else if (code === 22) next.bold = next.dim = false;
  else if (code === 23) next.italic = false;
  else if (code === 24) next.underline = false;
  else if (code === 27) next.inverse = false;
  else if (code === 29) next.strike = false;
  else if (code >= 30 && code <= 37) next.fg = { kind: 'palette', index: code - 30 };
  else if (code === 39) next.fg = null;
  else if (code >= 40 && code <= 47) next.bg = { kind: 'palette', index: code - 40 };
  else if (code === 49) next.bg = null;
  else if (code >= 90 && code <= 97) next.fg = { kind: 'palette', index: code - 90 + 8 };
  else if (code >= 100 && code <= 107) next.bg = { kind: 'palette', index: code - 100 + 8 };
  // Anything else (blink, fonts, …) is ignored.
}

function paletteColor(index: number | undefined): AnsiColor | null {
  if (index === undefined || !Number.isInteger(index) || index < 0 || index > 255) return null;
  return index < 16 ? { kind: 'palette', index } : { kind: 'indexed', index };
}

function rgbColor(values: (number | undefined)[]): AnsiColor | null {
  const [r, g, b] = values;
  const ok = (v: number | undefined): v is number =>
    v !== undefined && Number.isInteger(v) && v >= 0 && v <= 255;
  return ok(r) && ok(g) && ok(b) ? { kind: 'rgb', r, g, b } : null;
}

function sameColor(a: AnsiColor | null, b: AnsiColor | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.kind !== b.kind) return false;
  if (a.kind === 'rgb' && b.kind === 'rgb') return a.r === b.r && a.g === b.g && a.b === b.b;
  return (a as { index: number }).index === (b as { index: number }).index;
}

export function sameStyle(a: AnsiStyle, b: AnsiStyle): boolean {
  return (
    sameColor(a.fg, b.fg) &&
    sameColor(a.bg, b.bg) &&
    a.bold === b.bold &&
    a.dim === b.dim &&
    a.italic === b.italic &&
    a.underline === b.underline &&
    a.inverse === b.inverse &&
    a.strike === b.strike
  );
}

/** The xterm 256-colour palette entry (16–255) as `#rrggbb`. */
export function indexedColor(index: number): string {
  if (index >= 232) {
    const v = 8 + (index - 232) * 10;
    return hex(v, v, v);
  }
  const n = index - 16;
  const level = (x: number): number => (x === 0 ? 0 : 55 + x * 40);
  return hex(level(Math.floor(n / 36)), level(Math.floor(n / 6) % 6), level(n % 6));
}

function hex(r: number, g: number, b: number): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * How a style renders: CSS classes for the themed parts (palette colours `ansi-fg-N`/`ansi-bg-N`,
 * attributes) and inline CSS for 256-colour and RGB colours. Inverse swaps foreground and background.
 */
export function styleToCss(style: AnsiStyle): { classes: string[]; css: string } {
  const classes: string[] = [];
  const css: string[] = [];
  let fg = style.fg;
  let bg = style.bg;
  if (style.inverse) {
    [fg, bg] = [bg, fg];
    if (fg === null) classes.push('ansi-inverse-fg');
    if (bg === null) classes.push('ansi-inverse-bg');
  }
  const put = (color: AnsiColor | null, which: 'fg' | 'bg'): void => {
    if (!color) return;
    if (color.kind === 'palette') classes.push(`ansi-${which}-${color.index}`);
    else {
      const value = color.kind === 'indexed' ? indexedColor(color.index) : hex(color.r, color.g, color.b);
      css.push(`${which === 'fg' ? 'color' : 'background-color'}:${value}`);
    }
  };
  put(fg, 'fg');
  put(bg, 'bg');
  if (style.bold) classes.push('ansi-bold');
  if (style.dim) classes.push('ansi-dim');
  if (style.italic) classes.push('ansi-italic');
  if (style.underline) classes.push('ansi-underline');
  if (style.strike) classes.push('ansi-strike');
  return { classes, css: css.join(';') };
}
