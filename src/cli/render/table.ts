/**
 * A plain-text table: columns separated by two spaces, padded to the widest cell, the last
 * column unpadded so lines carry no trailing blanks.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((row) => width(row[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    headers
      .map((_, i) => {
        const cell = cells[i] ?? '';
        return i === headers.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell));
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Visible width in code points (good enough: our cells are ASCII ids, statuses and paths). */
function width(text: string): number {
  return [...text].length;
}
