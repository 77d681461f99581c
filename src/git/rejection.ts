import { KilnError } from '../errors/index.js';

/** Every rejected URL, ref or attribute path is a KILN_ERR_GIT_URL (HTTP 400). */
export function rejected(what: string, reason: string, details?: Record<string, unknown>): KilnError {
  return new KilnError('KILN_ERR_GIT_URL', `${what} ${reason}`, { field: what, ...details });
}

/**
 * The first character that may not appear in a URL, ref or attribute path, described so a user
 * can find it: control characters and non-ASCII look-alikes are invisible when echoed.
 */
export function describeBadCharacter(value: string): string | null {
  for (let i = 0; i < value.length; i++) {
    const code = value.codePointAt(i) ?? 0;
    if (code > 0x7e)
      return `contains the non-ASCII character U+${hex(code)} at position ${i} (a look-alike?)`;
    if (code < 0x20 || code === 0x7f) return `contains the control character U+${hex(code)} at position ${i}`;
    if (code === 0x20) return `contains a space at position ${i}`;
  }
  return null;
}

function hex(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, '0');
}

/** Shared first checks: a non-empty string, not too long, printable ASCII, no leading '-'. */
export function checkCommon(what: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value === '') throw rejected(what, 'is empty');
  if (value.length > maxLength) {
    throw rejected(what, `is ${value.length} characters long; the limit is ${maxLength}`, { maxLength });
  }
  const bad = describeBadCharacter(value);
  if (bad !== null) throw rejected(what, bad);
  // Git and ssh would read a leading '-' as an option (--upload-pack=…, -oProxyCommand=…).
  if (value.startsWith('-')) throw rejected(what, "must not start with '-'");
  return value;
}
