/**
 * Every binding with a static attribute path, with the path accumulated through nesting, function
 * applications (`fetchurl { … }`, `mkDerivation (finalAttrs: { … })`), let bindings, lambdas,
 * `with`, `if` branches and list elements.
 */
import { stringValue } from './strings.js';
import type { NixApply, NixAttrName, NixBindingLike, NixDocument, NixExpr, NixString, Span } from './tree.js';

export interface StringLiteral {
  /** The whole literal, quotes included. */
  readonly span: Span;
  /** Between the quotes (for ''…'', after the spaces and newline that follow the opener, which Nix drops). */
  readonly contentSpan: Span;
  readonly kind: 'double' | 'indented';
  /** The string's value; undefined when it interpolates. */
  readonly value: string | undefined;
}

export interface AttributeSite {
  readonly path: readonly string[];
  readonly scope: 'attrs' | 'let';
  /** The attribute path as written on the left of `=`. */
  readonly keySpan: Span;
  readonly valueSpan: Span;
  readonly literal?: StringLiteral;
  /** The function applied to the attribute set holding this binding, e.g. 'fetchurl', 'stdenv.mkDerivation'. */
  readonly fetcher?: string;
}

/** A function application whose argument is (or returns) an attribute set, seen during the walk. */
export interface AppliedSet {
  readonly name: string;
  readonly apply: NixApply;
  /** The binding path whose value holds the application. */
  readonly path: readonly string[];
  readonly sites: AttributeSite[];
}

export function literalOf(node: NixString): StringLiteral {
  const contentSpan = { start: node.open.span.end, end: node.close.span.start };
  return { span: node.span, contentSpan, kind: node.quote, value: stringValue(node) };
}

/** `a`, `a.b.c`: the dotted name of a variable or static selection; undefined otherwise. */
export function dottedName(expr: NixExpr): string | undefined {
  if (expr.kind === 'ident') return expr.name;
  if (expr.kind === 'paren') return dottedName(expr.expr);
  if (expr.kind === 'select' && expr.fallback === undefined) {
    const head = dottedName(expr.expr);
    const names = expr.path.attrs.map(staticName);
    if (head === undefined || names.some((n) => n === undefined)) return undefined;
    return [head, ...names].join('.');
  }
  return undefined;
}

/** The name of a static attribute (`a`, `"a"`); undefined for `${…}` or interpolating strings. */
export function staticName(attr: NixAttrName): string | undefined {
  if (attr.kind === 'ident') return attr.name;
  if (attr.kind === 'string') return stringValue(attr);
  return undefined;
}

/** The function at the head of an application chain: `f a b` → f. */
function headName(apply: NixApply): string | undefined {
  let fn: NixExpr = apply.fn;
  while (fn.kind === 'apply') fn = fn.fn;
  return dottedName(fn);
}

class Walker {
  readonly sites: AttributeSite[] = [];
  readonly applied: AppliedSet[] = [];

  expr(node: NixExpr, prefix: readonly string[], scope: 'attrs' | 'let', holder?: AppliedSet): void {
    switch (node.kind) {
      case 'attrset':
      case 'legacyLet':
        this.bindings(node.bindings, prefix, scope, holder);
        return;
      case 'let':
        this.bindings(node.bindings, [], 'let', undefined);
        this.expr(node.body, prefix, scope, holder);
        return;
      case 'paren':
        this.expr(node.expr, prefix, scope, holder);
        return;
      case 'lambda':
        this.expr(node.body, prefix, scope, holder);
        return;
      case 'with':
        this.expr(node.env, prefix, scope);
        this.expr(node.body, prefix, scope, holder);
        return;
      case 'assert':
        this.expr(node.cond, prefix, scope);
        this.expr(node.body, prefix, scope, holder);
        return;
      case 'if':
        this.expr(node.cond, prefix, scope);
        this.expr(node.then, prefix, scope, holder);
        this.expr(node.else, prefix, scope, holder);
        return;
      case 'list':
        node.items.forEach((item, index) => this.expr(item, [...prefix, String(index)], scope));
        return;
      case 'apply': {
        // `f a { … }`: one call of f; the inner applications are not calls of their own
        let fn: NixExpr = node.fn;
        for (; fn.kind === 'apply'; fn = fn.fn) this.expr(fn.arg, prefix, scope);
        this.expr(fn, prefix, scope);
        const name = headName(node);
        if (name === undefined) {
          this.expr(node.arg, prefix, scope);
          return;
        }
        const set: AppliedSet = { name, apply: node, path: prefix, sites: [] };
        this.applied.push(set);
        this.expr(node.arg, prefix, scope, set);
        return;
      }
      case 'binary':
        this.expr(node.lhs, prefix, scope);
        this.expr(node.rhs, prefix, scope);
        return;
      case 'select':
        this.expr(node.expr, prefix, scope);
        if (node.fallback) this.expr(node.fallback, prefix, scope);
        return;
      case 'hasAttr':
      case 'unary':
        this.expr(node.expr, prefix, scope);
        return;
      case 'string':
      case 'path':
        for (const part of node.parts) if (part.type === 'node') this.expr(part.expr, prefix, scope);
        return;
      case 'ident':
      case 'atom':
        return;
    }
  }

  private bindings(
    bindings: readonly NixBindingLike[],
    prefix: readonly string[],
    scope: 'attrs' | 'let',
    holder: AppliedSet | undefined,
  ): void {
    for (const binding of bindings) {
      if (binding.kind === 'inherit') {
        if (binding.from) this.expr(binding.from, prefix, scope);
        continue;
      }
      const names = binding.path.attrs.map(staticName);
      if (names.some((n) => n === undefined)) continue; // dynamic: no static path to report
      const path = [...prefix, ...(names as string[])];
      const value = binding.value;
      const site: AttributeSite = {
        path,
        scope,
        keySpan: binding.path.span,
        valueSpan: value.span,
        ...(value.kind === 'string' ? { literal: literalOf(value) } : {}),
        ...(holder ? { fetcher: holder.name } : {}),
      };
      this.sites.push(site);
      holder?.sites.push(site);
      // nested sets belong to no application unless applied themselves
      this.expr(value, path, scope);
    }
  }
}

/** The walk behind every finder: all static binding sites and all applications. */
export function walkDocument(doc: NixDocument): { sites: AttributeSite[]; applied: AppliedSet[] } {
  const walker = new Walker();
  walker.expr(doc.expr, [], 'attrs');
  return { sites: walker.sites, applied: walker.applied };
}

export function findAttributes(doc: NixDocument): AttributeSite[] {
  return walkDocument(doc).sites;
}
