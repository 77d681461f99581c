import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseNix, type NixExpr } from '../../../../src/packaging/index.js';
import { tempDir } from '../../../helpers/tmp.js';
import { seededRandom } from './generator.js';
import { nixParseFiles } from './nix-cli.js';

/**
 * Our tree shown the way `nix-instantiate --parse` (Nix 2.8) shows its AST: fully parenthesised,
 * with `-`, `*`, `/` and comparisons desugared to builtins. Equal output means equal structure.
 */
function show(e: NixExpr): string {
  switch (e.kind) {
    case 'ident':
      return e.name;
    case 'paren':
      return show(e.expr);
    case 'unary':
      return e.op.kind === '!' ? `(! ${show(e.expr)})` : `(__sub 0 ${show(e.expr)})`;
    case 'binary': {
      const [l, r] = [show(e.lhs), show(e.rhs)];
      switch (e.op.kind) {
        case '-':
          return `(__sub ${l} ${r})`;
        case '*':
          return `(__mul ${l} ${r})`;
        case '/':
          return `(__div ${l} ${r})`;
        case '<':
          return `(__lessThan ${l} ${r})`;
        case '>':
          return `(__lessThan ${r} ${l})`;
        case '<=':
          return `(! (__lessThan ${r} ${l}))`;
        case '>=':
          return `(! (__lessThan ${l} ${r}))`;
        default:
          return `(${l} ${e.op.text} ${r})`;
      }
    }
    case 'apply': {
      const args: string[] = [];
      let fn: NixExpr = e;
      for (;;) {
        if (fn.kind === 'paren') fn = fn.expr;
        else if (fn.kind === 'apply') {
          args.unshift(show(fn.arg));
          fn = fn.fn;
        } else break;
      }
      return `(${show(fn)} ${args.join(' ')})`;
    }
    case 'select': {
      const path = e.path.attrs.map((a) => (a.kind === 'ident' ? a.name : '?')).join('.');
      return `(${show(e.expr)}).${path}${e.fallback ? ` or (${show(e.fallback)})` : ''}`;
    }
    case 'hasAttr':
      return `((${show(e.expr)}) ? ${e.path.attrs.map((a) => (a.kind === 'ident' ? a.name : '?')).join('.')})`;
    default:
      throw new Error(`not generated: ${e.kind}`);
  }
}

const VARS = ['a', 'b', 'c', 'd', 'f'];
const OPS = ['+', '-', '*', '/', '++', '//', '&&', '||', '->', '==', '!=', '<', '>', '<=', '>=', '?'];

/** Operator chains over a few variables; every non-associative class at most once per chain. */
function chain(random: () => number, depth: number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const operand = (): string => {
    const r = random();
    if (depth > 0 && r < 0.1) return `(${chain(random, depth - 1)})`;
    if (r < 0.2) return `!${pick(VARS)}`;
    if (r < 0.3) return `-${pick(VARS)}`;
    if (r < 0.4) return `${pick(VARS)} ${pick(VARS)}.x ${pick(VARS)}`;
    if (r < 0.5) return `${pick(VARS)}.x.y or ${pick(VARS)}`;
    return pick(VARS);
  };
  let out = operand();
  const used = new Set<string>();
  for (let n = Math.floor(random() * 5); n > 0; n--) {
    const op = pick(OPS);
    const group = ['==', '!='].includes(op) ? 'eq' : ['<', '>', '<=', '>='].includes(op) ? 'cmp' : op;
    if (['eq', 'cmp', '?'].includes(group)) {
      if (used.has(group)) continue;
      used.add(group);
    }
    out += op === '?' ? ` ? x.y` : ` ${op} ${operand()}`;
  }
  return out;
}

describe('operator precedence and associativity', () => {
  it('gives the same tree as Nix for 300 random operator expressions', (t) => {
    const random = seededRandom(2026);
    const exprs = Array.from({ length: 300 }, () => chain(random, 2));
    const file = join(tempDir(t, 'kiln-nix-prec-'), 'ops.nix');
    const text = `a: b: c: d: f: [\n${exprs.map((e) => `  (${e})\n`).join('')}]\n`;
    writeFileSync(file, text);
    const run = nixParseFiles([file]);
    assert.equal(run.status, 0, run.stderr);

    const doc = parseNix(text);
    let body: NixExpr = doc.expr;
    while (body.kind === 'lambda') body = body.body;
    assert.equal(body.kind, 'list');
    const ours = `(a: (b: (c: (d: (f: [ ${body.kind === 'list' ? body.items.map((i) => `(${show(i)}) `).join('') : ''}])))))`;
    assert.equal(ours, run.stdout.trim());
  });

  it('parses the classic cases', () => {
    const shown = (text: string): string => show(parseNix(text).expr);
    assert.equal(shown('a + b * c'), '(a + (__mul b c))');
    assert.equal(shown('!a + b'), '(! (a + b))');
    assert.equal(shown('-a + b'), '((__sub 0 a) + b)');
    assert.equal(shown('a -> b -> c'), '(a -> (b -> c))');
    assert.equal(shown('a // b // c'), '(a // (b // c))');
    assert.equal(shown('a - b - c'), '(__sub (__sub a b) c)');
    assert.equal(shown('f a.b or c d'), '(f (a).b or (c) d)');
    assert.equal(shown('-a ? b'), '(((__sub 0 a)) ? b)');
    assert.equal(shown('!a ? b'), '(! ((a) ? b))');
  });
});
