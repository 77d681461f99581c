/*
 * Escape sequences: CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ESC backslash) and two-byte ESC X.
 * Matching control characters is the point of these patterns, hence the lint exceptions.
 */
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g;
// eslint-disable-next-line no-control-regex
const SGR = /^\x1b\[[0-9;]*m$/;
/** C0 controls except TAB and ESC, and DEL (ESC is handled by ESCAPES). */
// eslint-disable-next-line no-control-regex
const CONTROLS_BUT_TAB = /[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f]/g;

/**
 * Makes server-provided text safe to print on a terminal: colour sequences (SGR) stay, every other
 * control character or escape sequence goes, so a log line cannot move the cursor, clear the
 * screen or rewrite our progress line.
 */
export function sanitizeForTerminal(text: string): string {
  return text.replace(ESCAPES, (seq) => (SGR.test(seq) ? seq : '')).replace(CONTROLS_BUT_TAB, '');
}

/** Removes every escape sequence and control character except TAB: for plain (non-TTY) output. */
export function stripControl(text: string): string {
  return text.replace(ESCAPES, '').replace(CONTROLS_BUT_TAB, '');
}

/** Cuts text to a visible width (code points), ending with an ellipsis when cut. */
export function truncate(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return chars.slice(0, Math.max(0, width)).join('');
  return `${chars.slice(0, width - 1).join('')}…`;
}
