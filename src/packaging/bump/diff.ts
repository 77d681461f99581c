/** Lines of context around each change, as `diff -u` prints. */
const CONTEXT = 3;

type Op = { kind: ' ' | '-' | '+'; line: string };

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Edit script between two line arrays: common prefix and suffix, then an LCS table for the middle. */
function lineOps(a: readonly string[], b: readonly string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const n = midA.length;
  const m = midB.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = midA[i] === midB[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Op[] = a.slice(0, start).map((line) => ({ kind: ' ', line }));
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && midA[i] === midB[j]) {
      ops.push({ kind: ' ', line: midA[i]! });
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // Removals before additions, as diff -u prints a changed line.
      ops.push({ kind: '-', line: midA[i++]! });
    } else {
      ops.push({ kind: '+', line: midB[j++]! });
    }
  }
  for (const line of a.slice(endA)) ops.push({ kind: ' ', line });
  return ops;
}

/** A unified diff (`diff -u` style, 3 lines of context); empty when the texts are equal. */
export function unifiedDiff(before: string, after: string, label: string): string {
  if (before === after) return '';
  const ops = lineOps(splitLines(before), splitLines(after));
  const out = [`--- a/${label}`, `+++ b/${label}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      k++;
      continue;
    }
    // A hunk: back up for context, then run until CONTEXT*2 unchanged lines separate changes.
    const from = Math.max(0, k - CONTEXT);
    let to = k;
    let quiet = 0;
    while (to < ops.length && quiet <= CONTEXT * 2) {
      quiet = ops[to]!.kind === ' ' ? quiet + 1 : 0;
      to++;
    }
    const end = Math.min(ops.length, to - Math.max(0, quiet - CONTEXT));
    const hunk = ops.slice(from, end);
    const oldStart = ops.slice(0, from).filter((o) => o.kind !== '+').length + 1;
    const newStart = ops.slice(0, from).filter((o) => o.kind !== '-').length + 1;
    const oldCount = hunk.filter((o) => o.kind !== '+').length;
    const newCount = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const op of hunk) out.push(`${op.kind}${op.line}`);
    k = end;
  }
  return `${out.join('\n')}\n`;
}
