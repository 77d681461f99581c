// Log search (pure): matches over plain line texts, the next/previous match from a position,
// and splitting a line's styled segments so matches can be highlighted.

export interface Match {
  /** 0-based line index. */
  line: number;
  start: number;
  end: number;
}

export interface SearchOptions {
  caseSensitive?: boolean;
  /** Stop after this many matches (the UI says "N+"). */
  limit?: number;
}

/** Every non-overlapping occurrence of `query` in `lines` (from line `from` on), in order. */
export function findMatches(
  lines: readonly string[],
  query: string,
  options: SearchOptions = {},
  from = 0,
): Match[] {
  if (query === '') return [];
  const limit = options.limit ?? 100_000;
  const needle = options.caseSensitive ? query : query.toLowerCase();
  const matches: Match[] = [];
  for (let line = from; line < lines.length; line++) {
    const raw = lines[line] ?? '';
    const text = options.caseSensitive ? raw : raw.toLowerCase();
    let at = text.indexOf(needle);
    while (at >= 0) {
      matches.push({ line, start: at, end: at + needle.length });
      if (matches.length >= limit) return matches;
      at = text.indexOf(needle, at + needle.length);
    }
  }
  return matches;
}

/**
 * The match to go to from `current` (an index into `matches`, or -1 for none yet) in `direction`,
 * wrapping around. With no current match, the first match at or after `line` (or the last one
 * before it, going backwards).
 */
export function stepMatch(matches: readonly Match[], current: number, direction: 1 | -1, line = 0): number {
  if (matches.length === 0) return -1;
  if (current >= 0 && current < matches.length)
    return (current + direction + matches.length) % matches.length;
  if (direction === 1) {
    const index = matches.findIndex((m) => m.line >= line);
    return index >= 0 ? index : 0;
  }
  for (let i = matches.length - 1; i >= 0; i--) if ((matches[i]?.line ?? 0) <= line) return i;
  return matches.length - 1;
}

/** The matches of one line, by binary search over the ordered match list. */
export function matchesOnLine(matches: readonly Match[], line: number): { index: number; match: Match }[] {
  let lo = 0;
  let hi = matches.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((matches[mid]?.line ?? 0) < line) lo = mid + 1;
    else hi = mid;
  }
  const found: { index: number; match: Match }[] = [];
  for (let i = lo; i < matches.length && matches[i]?.line === line; i++) {
    const match = matches[i];
    if (match) found.push({ index: i, match });
  }
  return found;
}

/** A piece of a line: its text, whatever it carries (a style), and whether it is a match. */
export interface Marked<S> {
  text: string;
  style: S;
  mark: 'none' | 'match' | 'current';
}

/**
 * Splits styled segments at match boundaries. `ranges` are [start, end) offsets into the joined
 * text, ordered and non-overlapping; `current` marks one of them as the selected match.
 */
export function markSegments<S>(
  segments: readonly { text: string; style: S }[],
  ranges: readonly { start: number; end: number; current: boolean }[],
): Marked<S>[] {
  const out: Marked<S>[] = [];
  let offset = 0;
  let r = 0;
  for (const segment of segments) {
    const segEnd = offset + segment.text.length;
    let pos = offset;
    while (pos < segEnd) {
      while (r < ranges.length && (ranges[r]?.end ?? 0) <= pos) r++;
      const range = ranges[r];
      if (!range || range.start >= segEnd) {
        out.push({ text: segment.text.slice(pos - offset), style: segment.style, mark: 'none' });
        pos = segEnd;
      } else if (range.start > pos) {
        out.push({
          text: segment.text.slice(pos - offset, range.start - offset),
          style: segment.style,
          mark: 'none',
        });
        pos = range.start;
      } else {
        const end = Math.min(range.end, segEnd);
        out.push({
          text: segment.text.slice(pos - offset, end - offset),
          style: segment.style,
          mark: range.current ? 'current' : 'match',
        });
        pos = end;
      }
    }
    offset = segEnd;
  }
  return out;
}

/** `#L42` → {start: 42, end: 42}; `#L10-L20` (or `#L10-20`) → a range; anything else null. */
export function parseLineHash(hash: string): { start: number; end: number } | null {
  const match = /^#L(\d+)(?:-L?(\d+))?$/.exec(hash);
  if (!match) return null;
  const a = Number(match[1]);
  const b = match[2] === undefined ? a : Number(match[2]);
  if (a < 1 || b < 1) return null;
  return { start: Math.min(a, b), end: Math.max(a, b) };
}

/** The hash for a line selection: `#L42` or `#L10-L20`. */
export function lineHash(start: number, end: number = start): string {
  return start === end ? `#L${start}` : `#L${Math.min(start, end)}-L${Math.max(start, end)}`;
}

/** Which rows a virtual list shows: the first and one-past-last index, with overscan. */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  overscan = 10,
): { first: number; last: number } {
  if (count === 0 || rowHeight <= 0) return { first: 0, last: 0 };
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + viewportHeight) / rowHeight) + overscan);
  return { first, last: Math.max(first, last) };
}
