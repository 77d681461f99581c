/**
 * A recursive-descent parser for the Nix 2.8 expression grammar (src/libexpr/parser.y) that builds
 * a lossless concrete syntax tree. Binary operators use precedence climbing with bison's table.
 */
import {
  makeToken,
  scanDoubleStringText,
  scanIndentedStringText,
  scanPathFragment,
  scanToken,
  syntaxError,
} from './lexer.js';
import type {
  NixAttrName,
  NixAttrPath,
  NixBindingLike,
  NixChild,
  NixDocument,
  NixExpr,
  NixFormal,
  NixIdent,
  NixInterpolation,
  NixPattern,
  NixString,
  NixToken,
  Span,
  TokenKind,
} from './tree.js';

type Assoc = 'left' | 'right' | 'none';
const BINARY: Readonly<Record<string, readonly [number, Assoc]>> = {
  '->': [1, 'right'],
  '||': [2, 'left'],
  '&&': [3, 'left'],
  '==': [4, 'none'],
  '!=': [4, 'none'],
  '<': [5, 'none'],
  '>': [5, 'none'],
  '<=': [5, 'none'],
  '>=': [5, 'none'],
  '//': [6, 'right'],
  '+': [8, 'left'],
  '-': [8, 'left'],
  '*': [9, 'left'],
  '/': [9, 'left'],
  '++': [10, 'right'],
  '?': [11, 'none'],
};
const NOT_OPERAND = 8; // `!` takes everything binding tighter than NOT (7)
const NEGATE_OPERAND = 13; // unary minus takes only an application

const SIMPLE_START = new Set<TokenKind>([
  'id',
  'int',
  'float',
  '"',
  "''",
  'path',
  'searchPath',
  'uri',
  '(',
  'rec',
  '{',
  '[',
]);

function spanOf(children: readonly NixChild[]): Span {
  const first = children[0];
  const last = children[children.length - 1];
  if (!first || !last) throw new Error('a syntax node needs children');
  return { start: first.span.start, end: last.span.end };
}

function describe(token: NixToken): string {
  if (token.kind === 'eof') return 'end of file';
  if (token.kind === 'id') return `identifier '${token.text}'`;
  return `'${token.text}'`;
}

class Parser {
  private pos = 0;
  /** The next token outside strings, scanned from `pos`; dropped whenever `pos` moves. */
  private cached: NixToken | undefined;

  constructor(private readonly src: string) {}

  parseDocument(): NixDocument {
    const expr = this.parseExpr();
    const eof = this.expect('eof', 'end of file');
    const children = [expr, eof];
    return {
      type: 'node',
      kind: 'document',
      expr,
      eof,
      children,
      span: { start: expr.span.start, end: eof.span.end },
    };
  }

  // -- tokens

  private peek(): NixToken {
    this.cached ??= scanToken(this.src, this.pos);
    return this.cached;
  }

  /** The token `k` positions ahead (0 = next), scanned outside strings. */
  private peekAhead(k: number): NixToken {
    let token = this.peek();
    for (let i = 0; i < k && token.kind !== 'eof'; i++) token = scanToken(this.src, token.span.end);
    return token;
  }

  private advance(): NixToken {
    const token = this.peek();
    this.pos = token.span.end;
    this.cached = undefined;
    return token;
  }

  private at(kind: TokenKind): boolean {
    return this.peek().kind === kind;
  }

  private expect(kind: TokenKind, what?: string): NixToken {
    const token = this.peek();
    if (token.kind !== kind) throw this.unexpected(token, what ?? `'${kind}'`);
    return this.advance();
  }

  private unexpected(token: NixToken, expecting?: string): Error {
    const reason = `unexpected ${describe(token)}${expecting ? `, expecting ${expecting}` : ''}`;
    return syntaxError(this.src, token.span.start, reason);
  }

  /** A token with no leading trivia at the current position (inside strings and paths). */
  private rawToken(kind: TokenKind, end: number): NixToken {
    const token = makeToken(kind, '', this.src.slice(this.pos, end), this.pos);
    this.pos = end;
    this.cached = undefined;
    return token;
  }

  // -- expressions

  parseExpr(): NixExpr {
    const token = this.peek();
    switch (token.kind) {
      case 'id': {
        const next = this.peekAhead(1).kind;
        if (next === ':') return this.parseIdentLambda();
        if (next === '@') return this.parsePatternLambda();
        break;
      }
      case '{':
        if (this.patternAhead()) return this.parsePatternLambda();
        break;
      case 'assert':
      case 'with': {
        const keyword = this.advance();
        const head = this.parseExpr();
        const semi = this.expect(';');
        const body = this.parseExpr();
        const children = [keyword, head, semi, body];
        const span = spanOf(children);
        return token.kind === 'with'
          ? { type: 'node', kind: 'with', env: head, body, children, span }
          : { type: 'node', kind: 'assert', cond: head, body, children, span };
      }
      case 'let':
        if (this.peekAhead(1).kind !== '{') {
          const letToken = this.advance();
          const { bindings, children: inner } = this.parseBindings('in');
          const inToken = this.expect('in');
          const body = this.parseExpr();
          const children = [letToken, ...inner, inToken, body];
          return { type: 'node', kind: 'let', bindings, body, children, span: spanOf(children) };
        }
        break;
      default:
        break;
    }
    return this.parseIf();
  }

  /** After `{`: is this a function's argument pattern rather than an attribute set? */
  private patternAhead(): boolean {
    const t1 = this.peekAhead(1).kind;
    if (t1 === '...') return true;
    if (t1 === '}') {
      const t2 = this.peekAhead(2).kind;
      return t2 === ':' || t2 === '@';
    }
    if (t1 === 'id') {
      const t2 = this.peekAhead(2).kind;
      if (t2 === ',' || t2 === '?') return true;
      if (t2 === '}') {
        const t3 = this.peekAhead(3).kind;
        return t3 === ':' || t3 === '@';
      }
    }
    return false;
  }

  private parseIdentLambda(): NixExpr {
    const param = this.parseIdent();
    const colon = this.expect(':');
    const body = this.parseExpr();
    const children = [param, colon, body];
    return { type: 'node', kind: 'lambda', param, body, children, span: spanOf(children) };
  }

  private parsePatternLambda(): NixExpr {
    const children: NixChild[] = [];
    let alias: NixToken | undefined;
    if (this.at('id')) {
      alias = this.advance();
      children.push(alias, this.expect('@'));
    }
    const { formals, ellipsis, children: inner } = this.parseFormals();
    children.push(...inner);
    if (alias === undefined && this.at('@')) {
      children.push(this.advance());
      alias = this.expect('id', 'an identifier');
      children.push(alias);
    }
    const pattern: NixPattern = {
      type: 'node',
      kind: 'pattern',
      formals,
      ellipsis,
      alias,
      children,
      span: spanOf(children),
    };
    const colon = this.expect(':');
    const body = this.parseExpr();
    const all = [pattern, colon, body];
    return { type: 'node', kind: 'lambda', param: pattern, body, children: all, span: spanOf(all) };
  }

  private parseFormals(): { formals: NixFormal[]; ellipsis: boolean; children: NixChild[] } {
    const children: NixChild[] = [this.expect('{')];
    const formals: NixFormal[] = [];
    let ellipsis = false;
    for (;;) {
      if (this.at('...')) {
        children.push(this.advance());
        ellipsis = true;
        break;
      }
      if (!this.at('id')) break;
      const name = this.advance();
      const parts: NixChild[] = [name];
      let fallback: NixExpr | undefined;
      if (this.at('?')) {
        parts.push(this.advance());
        fallback = this.parseExpr();
        parts.push(fallback);
      }
      const formal: NixFormal = {
        type: 'node',
        kind: 'formal',
        name,
        fallback,
        children: parts,
        span: spanOf(parts),
      };
      formals.push(formal);
      children.push(formal);
      if (!this.at(',')) break;
      children.push(this.advance());
    }
    children.push(this.expect('}'));
    return { formals, ellipsis, children };
  }

  private parseIf(): NixExpr {
    if (!this.at('if')) return this.parseOp(0);
    const ifToken = this.advance();
    const cond = this.parseExpr();
    const thenToken = this.expect('then');
    const then = this.parseExpr();
    const elseToken = this.expect('else');
    const otherwise = this.parseExpr();
    const children = [ifToken, cond, thenToken, then, elseToken, otherwise];
    return { type: 'node', kind: 'if', cond, then, else: otherwise, children, span: spanOf(children) };
  }

  private parseOp(minPrec: number): NixExpr {
    let lhs = this.parsePrefix();
    let lastNonAssoc = -1;
    for (;;) {
      const op = this.peek();
      const entry = BINARY[op.kind];
      if (entry === undefined) break;
      const [prec, assoc] = entry;
      if (prec < minPrec) break;
      if (prec === lastNonAssoc) throw this.unexpected(op);
      this.advance();
      if (op.kind === '?') {
        const path = this.parseAttrPath();
        const children = [lhs, op, path];
        lhs = { type: 'node', kind: 'hasAttr', expr: lhs, path, children, span: spanOf(children) };
      } else {
        const rhs = this.parseOp(assoc === 'right' ? prec : prec + 1);
        const children = [lhs, op, rhs];
        lhs = { type: 'node', kind: 'binary', op, lhs, rhs, children, span: spanOf(children) };
      }
      lastNonAssoc = assoc === 'none' ? prec : -1;
    }
    return lhs;
  }

  private parsePrefix(): NixExpr {
    const token = this.peek();
    if (token.kind === '!' || token.kind === '-') {
      this.advance();
      const expr = this.parseOp(token.kind === '!' ? NOT_OPERAND : NEGATE_OPERAND);
      const children = [token, expr];
      return { type: 'node', kind: 'unary', op: token, expr, children, span: spanOf(children) };
    }
    return this.parseApp();
  }

  private startsSimple(): boolean {
    const kind = this.peek().kind;
    return SIMPLE_START.has(kind) || (kind === 'let' && this.peekAhead(1).kind === '{');
  }

  private parseApp(): NixExpr {
    let fn = this.parseSelect();
    while (this.startsSimple()) {
      const arg = this.parseSelect();
      const children = [fn, arg];
      fn = { type: 'node', kind: 'apply', fn, arg, children, span: spanOf(children) };
    }
    return fn;
  }

  private parseSelect(): NixExpr {
    const expr = this.parseSimple();
    if (this.at('.')) {
      const dot = this.advance();
      const path = this.parseAttrPath();
      const children: NixChild[] = [expr, dot, path];
      let fallback: NixExpr | undefined;
      if (this.at('or')) {
        children.push(this.advance());
        fallback = this.parseSelect();
        children.push(fallback);
      }
      return { type: 'node', kind: 'select', expr, path, fallback, children, span: spanOf(children) };
    }
    if (this.at('or')) {
      // parser.y keeps `f or` as an application of a variable named `or` (Nixpkgs once had one)
      const arg = this.parseIdent();
      const children = [expr, arg];
      return { type: 'node', kind: 'apply', fn: expr, arg, children, span: spanOf(children) };
    }
    return expr;
  }

  private parseIdent(): NixIdent {
    const token = this.peek();
    if (token.kind !== 'id' && token.kind !== 'or') throw this.unexpected(token, 'an identifier');
    this.advance();
    return { type: 'node', kind: 'ident', name: token.text, token, children: [token], span: token.span };
  }

  private parseSimple(): NixExpr {
    const token = this.peek();
    switch (token.kind) {
      case 'id':
        return this.parseIdent();
      case 'int':
      case 'float':
      case 'uri':
      case 'searchPath':
        this.advance();
        return { type: 'node', kind: 'atom', atom: token.kind, token, children: [token], span: token.span };
      case 'path':
        return this.parsePath();
      case '"':
      case "''":
        return this.parseString();
      case '(': {
        const open = this.advance();
        const expr = this.parseExpr();
        const close = this.expect(')');
        const children = [open, expr, close];
        return { type: 'node', kind: 'paren', expr, children, span: spanOf(children) };
      }
      case 'rec':
      case '{': {
        const children: NixChild[] = [];
        if (token.kind === 'rec') children.push(this.advance());
        children.push(this.expect('{'));
        const { bindings, children: inner } = this.parseBindings('}');
        children.push(...inner, this.expect('}'));
        const rec = token.kind === 'rec';
        return { type: 'node', kind: 'attrset', rec, bindings, children, span: spanOf(children) };
      }
      case 'let': {
        const children: NixChild[] = [this.advance(), this.expect('{')];
        const { bindings, children: inner } = this.parseBindings('}');
        children.push(...inner, this.expect('}'));
        return { type: 'node', kind: 'legacyLet', bindings, children, span: spanOf(children) };
      }
      case '[': {
        const children: NixChild[] = [this.advance()];
        const items: NixExpr[] = [];
        while (this.startsSimple()) {
          const item = this.parseSelect();
          items.push(item);
          children.push(item);
        }
        children.push(this.expect(']'));
        return { type: 'node', kind: 'list', items, children, span: spanOf(children) };
      }
      default:
        throw this.unexpected(token);
    }
  }

  private parsePath(): NixExpr {
    const first = this.advance();
    const parts: (NixToken | NixInterpolation)[] = [first];
    let endsWithSlash = first.text.endsWith('/');
    for (;;) {
      if (this.src.startsWith('${', this.pos)) {
        parts.push(this.parseInterpolation());
        endsWithSlash = false;
        continue;
      }
      if (endsWithSlash) throw syntaxError(this.src, this.pos, 'path has a trailing slash');
      // a fragment may only follow an interpolation: a path token already took all it could
      const previous = parts[parts.length - 1];
      const length = previous?.type === 'node' ? scanPathFragment(this.src, this.pos) : 0;
      if (length === 0) break;
      const fragment = this.rawToken('pathPart', this.pos + length);
      parts.push(fragment);
      endsWithSlash = fragment.text.endsWith('/');
    }
    return { type: 'node', kind: 'path', parts, children: parts, span: spanOf(parts) };
  }

  private parseInterpolation(): NixInterpolation {
    const open = this.rawToken('${', this.pos + 2);
    const expr = this.parseExpr();
    const close = this.expect('}');
    const children = [open, expr, close];
    return { type: 'node', kind: 'interpolation', open, expr, close, children, span: spanOf(children) };
  }

  private parseString(): NixString {
    const open = this.advance();
    const indented = open.kind === "''";
    const parts: (NixToken | NixInterpolation)[] = [];
    for (;;) {
      if (this.src.startsWith('${', this.pos)) {
        parts.push(this.parseInterpolation());
        continue;
      }
      const end = indented
        ? scanIndentedStringText(this.src, this.pos, open.span.start)
        : scanDoubleStringText(this.src, this.pos, open.span.start);
      if (end > this.pos) parts.push(this.rawToken('str', end));
      if (!this.src.startsWith('${', this.pos)) break;
    }
    const close = this.rawToken(open.kind, this.pos + (indented ? 2 : 1));
    const children = [open, ...parts, close];
    return {
      type: 'node',
      kind: 'string',
      quote: indented ? 'indented' : 'double',
      open,
      parts,
      close,
      children,
      span: spanOf(children),
    };
  }

  private parseAttrName(): NixAttrName {
    const token = this.peek();
    if (token.kind === 'id' || token.kind === 'or') return this.parseIdent();
    if (token.kind === '"') return this.parseString();
    if (token.kind === '${') {
      // outside strings `${` carries trivia in front of it
      const open = this.advance();
      const expr = this.parseExpr();
      const close = this.expect('}');
      const children = [open, expr, close];
      return { type: 'node', kind: 'interpolation', open, expr, close, children, span: spanOf(children) };
    }
    throw this.unexpected(token, 'an attribute name');
  }

  private parseAttrPath(): NixAttrPath {
    const first = this.parseAttrName();
    const attrs: NixAttrName[] = [first];
    const children: NixChild[] = [first];
    while (this.at('.')) {
      children.push(this.advance());
      const attr = this.parseAttrName();
      attrs.push(attr);
      children.push(attr);
    }
    return { type: 'node', kind: 'attrPath', attrs, children, span: spanOf(children) };
  }

  private parseBindings(end: '}' | 'in'): { bindings: NixBindingLike[]; children: NixChild[] } {
    const bindings: NixBindingLike[] = [];
    while (!this.at(end)) {
      const token = this.peek();
      if (token.kind === 'inherit') {
        const children: NixChild[] = [this.advance()];
        let from: NixExpr | undefined;
        if (this.at('(')) {
          const open = this.advance();
          from = this.parseExpr();
          children.push(open, from, this.expect(')'));
        }
        const attrs: NixAttrName[] = [];
        while (this.at('id') || this.at('or') || this.at('"') || this.at('${')) {
          const attr = this.parseAttrName();
          attrs.push(attr);
          children.push(attr);
        }
        children.push(this.expect(';'));
        bindings.push({ type: 'node', kind: 'inherit', from, attrs, children, span: spanOf(children) });
        continue;
      }
      if (token.kind !== 'id' && token.kind !== 'or' && token.kind !== '"' && token.kind !== '${') {
        throw this.unexpected(token, end === 'in' ? "a binding or 'in'" : "a binding or '}'");
      }
      const path = this.parseAttrPath();
      const eq = this.expect('=');
      const value = this.parseExpr();
      const semi = this.expect(';');
      const children = [path, eq, value, semi];
      bindings.push({ type: 'node', kind: 'binding', path, value, children, span: spanOf(children) });
    }
    return { bindings, children: bindings };
  }
}

/** Parses a whole Nix file; throws KILN_ERR_NIX_SYNTAX with `line:column: reason`. */
export function parseNix(text: string): NixDocument {
  try {
    return new Parser(text).parseDocument();
  } catch (error) {
    // thousands of nested brackets exhaust the call stack before they exhaust any real file
    if (error instanceof RangeError) throw syntaxError(text, 0, 'expression nested too deeply');
    throw error;
  }
}
