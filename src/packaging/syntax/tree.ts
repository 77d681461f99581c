/**
 * The concrete syntax tree of a Nix file. Every byte of the source belongs to exactly one token:
 * its text, or the trivia (whitespace and comments) in front of it. Printing the tokens in tree
 * order gives the file back unchanged. Spans are UTF-16 indices into the source text.
 */

export interface Span {
  readonly start: number;
  readonly end: number;
}

export type TokenKind =
  | 'id'
  | 'int'
  | 'float'
  | 'path'
  | 'pathPart'
  | 'searchPath'
  | 'uri'
  | 'str'
  | 'eof'
  // keywords, operators and punctuation are their own text
  | 'if'
  | 'then'
  | 'else'
  | 'assert'
  | 'with'
  | 'let'
  | 'in'
  | 'rec'
  | 'inherit'
  | 'or'
  | '...'
  | '=='
  | '!='
  | '<='
  | '>='
  | '&&'
  | '||'
  | '->'
  | '//'
  | '++'
  | '${'
  | '"'
  | "''"
  | '{'
  | '}'
  | '['
  | ']'
  | '('
  | ')'
  | ';'
  | ':'
  | '.'
  | ','
  | '='
  | '?'
  | '@'
  | '+'
  | '-'
  | '*'
  | '/'
  | '<'
  | '>'
  | '!';

export interface NixToken {
  readonly type: 'token';
  readonly kind: TokenKind;
  /** Whitespace and comments before the token, verbatim. */
  readonly leading: string;
  readonly text: string;
  /** Where `text` is (the leading trivia is just before it). */
  readonly span: Span;
}

interface NodeBase {
  readonly type: 'node';
  /** From the first token's text to the last token's end (leading trivia excluded). */
  readonly span: Span;
  /** Every token and sub-node in source order: what the printer walks. */
  readonly children: readonly NixChild[];
}

export type NixChild = NixToken | NixNode;

export interface NixDocument extends NodeBase {
  readonly kind: 'document';
  readonly expr: NixExpr;
  /** Carries the trivia after the last expression. */
  readonly eof: NixToken;
}

export interface NixIdent extends NodeBase {
  readonly kind: 'ident';
  readonly name: string;
  readonly token: NixToken;
}

/** Integers, floats, URIs and `<search/paths>`. */
export interface NixAtom extends NodeBase {
  readonly kind: 'atom';
  readonly atom: 'int' | 'float' | 'uri' | 'searchPath';
  readonly token: NixToken;
}

export interface NixPath extends NodeBase {
  readonly kind: 'path';
  readonly parts: readonly (NixToken | NixInterpolation)[];
}

export interface NixString extends NodeBase {
  readonly kind: 'string';
  readonly quote: 'double' | 'indented';
  readonly open: NixToken;
  /** `str` tokens (raw source text, escapes undecoded) and interpolations. */
  readonly parts: readonly (NixToken | NixInterpolation)[];
  readonly close: NixToken;
}

export interface NixInterpolation extends NodeBase {
  readonly kind: 'interpolation';
  readonly open: NixToken;
  readonly expr: NixExpr;
  readonly close: NixToken;
}

export interface NixParen extends NodeBase {
  readonly kind: 'paren';
  readonly expr: NixExpr;
}

export interface NixAttrSet extends NodeBase {
  readonly kind: 'attrset';
  readonly rec: boolean;
  readonly bindings: readonly NixBindingLike[];
}

/** The old `let { body = …; }` form. */
export interface NixLegacyLet extends NodeBase {
  readonly kind: 'legacyLet';
  readonly bindings: readonly NixBindingLike[];
}

export interface NixLet extends NodeBase {
  readonly kind: 'let';
  readonly bindings: readonly NixBindingLike[];
  readonly body: NixExpr;
}

export interface NixList extends NodeBase {
  readonly kind: 'list';
  readonly items: readonly NixExpr[];
}

export interface NixFormal extends NodeBase {
  readonly kind: 'formal';
  readonly name: NixToken;
  readonly fallback: NixExpr | undefined;
}

export interface NixPattern extends NodeBase {
  readonly kind: 'pattern';
  readonly formals: readonly NixFormal[];
  readonly ellipsis: boolean;
  /** The `@ name` (or `name @`) binding of the whole argument. */
  readonly alias: NixToken | undefined;
}

export interface NixLambda extends NodeBase {
  readonly kind: 'lambda';
  readonly param: NixIdent | NixPattern;
  readonly body: NixExpr;
}

export interface NixApply extends NodeBase {
  readonly kind: 'apply';
  readonly fn: NixExpr;
  readonly arg: NixExpr;
}

export interface NixSelect extends NodeBase {
  readonly kind: 'select';
  readonly expr: NixExpr;
  readonly path: NixAttrPath;
  readonly fallback: NixExpr | undefined;
}

export interface NixHasAttr extends NodeBase {
  readonly kind: 'hasAttr';
  readonly expr: NixExpr;
  readonly path: NixAttrPath;
}

export interface NixBinary extends NodeBase {
  readonly kind: 'binary';
  readonly op: NixToken;
  readonly lhs: NixExpr;
  readonly rhs: NixExpr;
}

export interface NixUnary extends NodeBase {
  readonly kind: 'unary';
  readonly op: NixToken;
  readonly expr: NixExpr;
}

export interface NixIf extends NodeBase {
  readonly kind: 'if';
  readonly cond: NixExpr;
  readonly then: NixExpr;
  readonly else: NixExpr;
}

export interface NixWith extends NodeBase {
  readonly kind: 'with';
  readonly env: NixExpr;
  readonly body: NixExpr;
}

export interface NixAssert extends NodeBase {
  readonly kind: 'assert';
  readonly cond: NixExpr;
  readonly body: NixExpr;
}

/** One attribute name: an identifier (or `or`), a quoted string, or `${expr}`. */
export type NixAttrName = NixIdent | NixString | NixInterpolation;

export interface NixAttrPath extends NodeBase {
  readonly kind: 'attrPath';
  readonly attrs: readonly NixAttrName[];
}

export interface NixBinding extends NodeBase {
  readonly kind: 'binding';
  readonly path: NixAttrPath;
  readonly value: NixExpr;
}

export interface NixInherit extends NodeBase {
  readonly kind: 'inherit';
  readonly from: NixExpr | undefined;
  readonly attrs: readonly NixAttrName[];
}

export type NixBindingLike = NixBinding | NixInherit;

export type NixExpr =
  | NixIdent
  | NixAtom
  | NixPath
  | NixString
  | NixParen
  | NixAttrSet
  | NixLegacyLet
  | NixLet
  | NixList
  | NixLambda
  | NixApply
  | NixSelect
  | NixHasAttr
  | NixBinary
  | NixUnary
  | NixIf
  | NixWith
  | NixAssert;

export type NixNode =
  NixDocument | NixExpr | NixInterpolation | NixFormal | NixPattern | NixAttrPath | NixBinding | NixInherit;
