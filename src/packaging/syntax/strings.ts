/**
 * String values as Nix 2.8 computes them (unescapeStr and stripIndentation in parser.y), and the
 * reverse: a double-quoted literal for any value.
 */
import type { NixString } from './tree.js';

/** unescapeStr: `\n`, `\r`, `\t` and `\x` → x; a raw CR or CR LF becomes LF. */
function unescape(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    if (c === '\\') {
      const d = raw.charAt(++i);
      out += d === 'n' ? '\n' : d === 'r' ? '\r' : d === 't' ? '\t' : d;
    } else if (c === '\r') {
      out += '\n';
      if (raw.charAt(i + 1) === '\n') i++;
    } else out += c;
  }
  return out;
}

/** One IND_STR token of the lexer: plain runs count for indentation, escapes do not. */
interface IndentedPiece {
  readonly text: string;
  readonly indentation: boolean;
}

/** Splits the raw text of an indented string part the way flex emits IND_STR tokens. */
function indentedPieces(raw: string): IndentedPiece[] {
  const pieces: IndentedPiece[] = [];
  let run = '';
  const flush = (): void => {
    if (run !== '') pieces.push({ text: run, indentation: true });
    run = '';
  };
  const special = (text: string): void => {
    flush();
    pieces.push({ text, indentation: false });
  };
  for (let i = 0; i < raw.length;) {
    const c = raw.charAt(i);
    const d = raw.charAt(i + 1);
    if (c === "'" && d === "'") {
      const e = raw.charAt(i + 2);
      if (e === '$') special('$');
      else if (e === "'") special("''");
      else special(unescape(`\\${raw.charAt(i + 3)}`));
      i += e === '\\' ? 4 : 3;
    } else if (c === "'" && d === '$') {
      special("'");
      i += 1;
    } else if (c === '$' && (d === "'" || d === '')) {
      special('$');
      i += 1;
    } else if (c === '$') {
      run += c + d;
      i += 2;
    } else {
      run += c;
      i += 1;
    }
  }
  flush();
  return pieces;
}

function stripIndentation(pieces: readonly IndentedPiece[]): string {
  let atStartOfLine = true;
  let minIndent = 1000000;
  let curIndent = 0;
  for (const piece of pieces) {
    if (!piece.indentation) {
      if (atStartOfLine) {
        atStartOfLine = false;
        minIndent = Math.min(minIndent, curIndent);
      }
      continue;
    }
    for (const ch of piece.text) {
      if (atStartOfLine) {
        if (ch === ' ') curIndent++;
        else if (ch === '\n') curIndent = 0;
        else {
          atStartOfLine = false;
          minIndent = Math.min(minIndent, curIndent);
        }
      } else if (ch === '\n') {
        atStartOfLine = true;
        curIndent = 0;
      }
    }
  }
  atStartOfLine = true;
  let curDropped = 0;
  const out: string[] = [];
  pieces.forEach((piece, index) => {
    let s = '';
    for (const ch of piece.text) {
      if (atStartOfLine) {
        if (ch === ' ') {
          if (curDropped++ >= minIndent) s += ch;
        } else if (ch === '\n') {
          curDropped = 0;
          s += ch;
        } else {
          atStartOfLine = false;
          curDropped = 0;
          s += ch;
        }
      } else {
        s += ch;
        if (ch === '\n') atStartOfLine = true;
      }
    }
    if (index === pieces.length - 1) {
      // the last line goes when it is only spaces
      const p = s.lastIndexOf('\n');
      if (p !== -1 && /^ *$/.test(s.slice(p + 1))) s = s.slice(0, p + 1);
    }
    out.push(s);
  });
  return out.join('');
}

/** The value of a string literal, or undefined when it interpolates. */
export function stringValue(node: NixString): string | undefined {
  const raw: string[] = [];
  for (const part of node.parts) {
    if (part.type === 'node') return undefined;
    raw.push(part.text);
  }
  if (node.quote === 'double') return raw.map(unescape).join('');
  return stripIndentation(raw.flatMap(indentedPieces));
}

/** A double-quoted Nix string literal whose value is exactly `value`. */
export function renderNixString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (c === '\\' || c === '"') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === '$' && value.charAt(i + 1) === '{') out += '\\$';
    else out += c;
  }
  return `${out}"`;
}
