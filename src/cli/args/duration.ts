import { KilnError } from '../../errors/index.js';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Parsed form of `30d`, `12h`, `90m`, `45s`, `2w`. */
export interface RetentionDuration {
  /** Normalised text as the API expects it (`^[0-9]+(s|m|h|d|w)$`). */
  text: string;
  ms: number;
}

/** Parses a retention duration; `option` names the flag in error messages. */
export function parseDuration(raw: string, option = '--older-than'): RetentionDuration {
  const match = /^(\d+)([smhdw])$/.exec(raw.trim());
  if (!match) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `option '${option}' expects a duration like 30d, 12h, 90m, 45s or 2w, got ${JSON.stringify(raw)}`,
      { option },
    );
  }
  const amount = Number(match[1]);
  const unit = match[2] as keyof typeof UNIT_MS;
  const ms = amount * UNIT_MS[unit];
  if (!Number.isSafeInteger(ms)) {
    throw new KilnError('KILN_ERR_VALIDATION', `option '${option}' is too large: ${raw}`, { option });
  }
  // Leading zeros would be accepted by the server too, but the canonical form reads better in logs.
  return { text: `${amount}${unit}`, ms };
}
