/**
 * ANSI escape sequences: CSI (colours, cursor moves), OSC (titles, hyperlinks; ended by BEL or
 * ST) and the remaining two-byte escapes. Nix colours its messages even when not on a terminal.
 */
/* eslint-disable no-control-regex -- escape sequences are control characters by definition */
const ANSI_PATTERN =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]/g;
/* eslint-enable no-control-regex */

/** Removes ANSI escape sequences, leaving the readable text. */
export function stripAnsi(text: string): string {
  return text.includes('\u001b') ? text.replace(ANSI_PATTERN, '') : text;
}
