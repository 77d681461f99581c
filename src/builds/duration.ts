import { KilnError } from '../errors/index.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses `30d`, `12h`, `90m`, `45s`, `2w` into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^([0-9]{1,9})(s|m|h|d|w)$/.exec(text.trim());
  if (!match) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `invalid duration ${JSON.stringify(text)}: use a number and s, m, h, d or w (e.g. 30d)`,
    );
  }
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}
