/**
 * Scanning rules of Nix 2.8's lexer (src/libexpr/lexer.l), one token at a time. The parser drives
 * the modes: outside strings it asks for the next token with its leading trivia; inside strings
 * and paths it asks for the literal text up to the next interpolation or closing quote.
 */
import { KilnError } from '../../errors/index.js';
import type { NixToken, TokenKind } from './tree.js';

const KEYWORDS = new Set(['if', 'then', 'else', 'assert', 'with', 'let', 'in', 'rec', 'inherit', 'or']);
const OPERATORS = ['...', '==', '!=', '<=', '>=', '&&', '||', '->', '//', '++', '${'] as const;
const SINGLE = new Set('{}[]();:.,=?@+-*/<>!');

// The lexer's regular expressions, anchored at the scan position (sticky).
const PC = '[a-zA-Z0-9._\\-+]';
const ID = /[a-zA-Z_][a-zA-Z0-9_'-]*/y;
const INT = /[0-9]+/y;
const FLOAT = /(?:[1-9][0-9]*\.[0-9]*|0?\.[0-9]+)(?:[Ee][+-]?[0-9]+)?/y;
const PATH = new RegExp(`${PC}*(?:\\/${PC}+)+\\/?`, 'y');
const PATH_SEG_INTERP = new RegExp(`${PC}*\\/\\$\\{`, 'y');
const HPATH = new RegExp(`~(?:\\/${PC}+)+\\/?`, 'y');
const HPATH_START_INTERP = /~\/\$\{/y;
const SPATH = new RegExp(`<${PC}+(?:\\/${PC}+)*>`, 'y');
const URI = /[a-zA-Z][a-zA-Z0-9+\-.]*:[a-zA-Z0-9%/?:@&=+$,\-_.!~*']+/y;
const IND_OPEN = /''(?: *\n)?/y;
/** Inside a path after its first token: `{PATH}|{PATH_SEG}|{PATH_CHAR}+`, longest. */
const PATH_CONT = [PATH, new RegExp(`${PC}*\\/`, 'y'), new RegExp(`${PC}+`, 'y')];
const WHITESPACE = /[ \t\r\n]+/y;
const LINE_COMMENT = /#[^\r\n]*/y;
const BLOCK_COMMENT = /\/\*(?:[^*]|\*+[^*/])*\*+\//y;

function matchAt(re: RegExp, src: string, pos: number): number {
  re.lastIndex = pos;
  const m = re.exec(src);
  return m ? m[0].length : 0;
}

export function lineColumn(src: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < src.length; i++) {
    if (src.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: pos - lineStart + 1 };
}

export function syntaxError(src: string, pos: number, reason: string): KilnError {
  const { line, column } = lineColumn(src, pos);
  return new KilnError('KILN_ERR_NIX_SYNTAX', `${line}:${column}: ${reason}`, { line, column, reason });
}

export function makeToken(kind: TokenKind, leading: string, text: string, start: number): NixToken {
  return { type: 'token', kind, leading, text, span: { start, end: start + text.length } };
}

/** Whitespace and comments from `pos`; returns where they end. */
export function scanTrivia(src: string, pos: number): number {
  for (;;) {
    const n =
      matchAt(WHITESPACE, src, pos) || matchAt(LINE_COMMENT, src, pos) || matchAt(BLOCK_COMMENT, src, pos);
    if (n === 0) break;
    pos += n;
  }
  if (src.startsWith('/*', pos)) throw syntaxError(src, pos, 'unterminated comment');
  return pos;
}

/** The next token outside strings, with its leading trivia; flex's longest match, first rule on ties. */
export function scanToken(src: string, from: number): NixToken {
  const start = scanTrivia(src, from);
  const leading = src.slice(from, start);
  if (start >= src.length) return makeToken('eof', leading, '', start);
  let best = 0;
  let kind: TokenKind | undefined;
  const consider = (length: number, k: TokenKind): void => {
    if (length > best) {
      best = length;
      kind = k;
    }
  };
  for (const op of OPERATORS) if (src.startsWith(op, start)) consider(op.length, op);
  const id = matchAt(ID, src, start);
  if (id > 0)
    consider(
      id,
      KEYWORDS.has(src.slice(start, start + id)) ? (src.slice(start, start + id) as TokenKind) : 'id',
    );
  consider(matchAt(INT, src, start), 'int');
  consider(matchAt(FLOAT, src, start), 'float');
  if (src.startsWith('"', start)) consider(1, '"');
  consider(matchAt(IND_OPEN, src, start), "''");
  // A path segment ending in `/${` wins with the interpolation opener counted, as in flex.
  const seg = matchAt(PATH_SEG_INTERP, src, start);
  const hseg = matchAt(HPATH_START_INTERP, src, start);
  consider(seg, 'path');
  consider(hseg, 'path');
  consider(matchAt(PATH, src, start), 'path');
  consider(matchAt(HPATH, src, start), 'path');
  consider(matchAt(SPATH, src, start), 'searchPath');
  consider(matchAt(URI, src, start), 'uri');
  const c = src.charAt(start);
  if (SINGLE.has(c)) consider(1, c as TokenKind);
  if (kind === undefined) {
    throw syntaxError(src, start, `unexpected character ${JSON.stringify(c)}`);
  }
  let length = best;
  if (kind === 'path' && (best === seg || best === hseg) && src.startsWith('${', start + best - 2))
    length -= 2;
  return makeToken(kind, leading, src.slice(start, start + length), start);
}

/** After a path token or a path interpolation: the next literal path fragment, or 0. */
export function scanPathFragment(src: string, pos: number): number {
  let best = 0;
  for (const re of PATH_CONT) best = Math.max(best, matchAt(re, src, pos));
  return best;
}

/**
 * Literal text of a "…" string from `pos` up to an interpolation or the closing quote. Returns the
 * end; throws at end of input.
 */
export function scanDoubleStringText(src: string, pos: number, openAt: number): number {
  let i = pos;
  const n = src.length;
  while (i < n) {
    const c = src.charAt(i);
    if (c === '"') return i;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '$') {
      const d = src.charAt(i + 1);
      if (d === '{') return i;
      if (d === '"') return i + 1;
      i += d === '\\' ? 3 : 2; // `$\x` and `$x` (including `$$`) are taken in pairs
      continue;
    }
    i++;
  }
  throw syntaxError(src, openAt, 'unterminated string');
}

/** Literal text of a ''…'' string from `pos` up to an interpolation or the closing `''`. */
export function scanIndentedStringText(src: string, pos: number, openAt: number): number {
  let i = pos;
  const n = src.length;
  while (i < n) {
    const c = src.charAt(i);
    if (c === "'") {
      if (src.charAt(i + 1) !== "'") {
        i++;
        continue;
      }
      const d = src.charAt(i + 2);
      if (d === '$' || d === "'") i += 3;
      else if (d === '\\') i += 4;
      else return i;
      continue;
    }
    if (c === '$') {
      const d = src.charAt(i + 1);
      if (d === '{') return i;
      i += d === "'" ? 1 : 2;
      continue;
    }
    i++;
  }
  throw syntaxError(src, openAt, 'unterminated indented string');
}
