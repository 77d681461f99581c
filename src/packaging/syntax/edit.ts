import { KilnError } from '../../errors/index.js';
import type { Span } from './tree.js';

export interface TextEdit {
  readonly span: Span;
  readonly text: string;
}

/**
 * Replaces each span of `text` with its new text. Spans refer to the original text, so edits made
 * from one parse can be applied together; overlapping edits (or two inserts at one point) are refused.
 */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  let out = '';
  let cursor = 0;
  let previous: TextEdit | undefined;
  for (const edit of sorted) {
    const { start, end } = edit.span;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > text.length) {
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `edit span ${start}..${end} is outside the text (0..${text.length})`,
      );
    }
    if (previous && start < Math.max(cursor, previous.span.start + 1)) {
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `edits overlap: ${previous.span.start}..${previous.span.end} and ${start}..${end}`,
      );
    }
    out += text.slice(cursor, start) + edit.text;
    cursor = end;
    previous = edit;
  }
  return out + text.slice(cursor);
}
