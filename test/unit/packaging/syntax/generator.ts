/**
 * Random Nix files from the grammar, for property tests. Every output is meant to be accepted by
 * `nix-instantiate --parse`: variables are only used where bound, attribute and formal names never
 * repeat, and operator chains never put two non-associative operators of one class side by side.
 */
import { prng as seededRandom } from '../../../helpers/prng.js';

export { seededRandom };

const TRIVIA = [
  ' ',
  '  ',
  '\n',
  '\n    ',
  '\t',
  '\r\n',
  ' # line comment ü\n',
  ' /* block */ ',
  '\n  /* multi\n     line * comment 🚀 */\n  ',
  ' #\n',
  ' /**/ ',
  ' /* ** stars ** */ ',
];

const PLAIN = ['a', 'Z', '0', ' ', '-', '.', '/', ':', 'é', '日本', '🚀', "'", '}', '\t', '#', '*', '@'];
const DOUBLE_SPECIAL = ['\\n', '\\t', '\\r', '\\"', '\\\\', '\\${', '$$', '$x', '$${', '\\$', '\n', '\\q'];
const INDENTED_SPECIAL = ["''$", "'''", "''\\n", "''\\t", "''\\x", '$$', '$a', "'a", '\n', '\n  ', '"', '\\'];

export class NixGenerator {
  private counter = 0;

  constructor(private readonly random: () => number) {}

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private fresh(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  /** Trivia between two tokens: always starts with whitespace, so tokens never run together. */
  private s(): string {
    return this.chance(0.7) ? ' ' : this.pick(TRIVIA);
  }

  /** Trivia where no token can merge with its neighbour (after `(`, before `;` …): may be empty. */
  private t(): string {
    return this.chance(0.3) ? '' : this.s();
  }

  file(): string {
    return `${this.chance(0.3) ? this.pick(TRIVIA) : ''}${this.expr(4, [])}${this.chance(0.5) ? this.pick(TRIVIA) : ''}`;
  }

  /** Any expression (expr_function level). */
  expr(depth: number, scope: readonly string[]): string {
    if (depth <= 0) return this.op(0, scope);
    const s = () => this.s();
    switch (this.int(9)) {
      case 0: {
        const v = this.fresh('v');
        return `${v}${this.t()}:${s()}${this.expr(depth - 1, [...scope, v])}`;
      }
      case 1:
        return this.patternLambda(depth, scope);
      case 2: {
        const names = [this.fresh('v'), this.fresh('v')];
        const inner = [...scope, ...names];
        const binds = names
          .map((n) => `${n}${s()}=${s()}${this.expr(depth - 2, inner)}${this.t()};`)
          .join(s());
        return `let${s()}${binds}${s()}in${s()}${this.expr(depth - 1, inner)}`;
      }
      case 3:
        return `with${s()}${this.expr(depth - 2, scope)}${this.t()};${s()}${this.expr(depth - 1, scope)}`;
      case 4:
        return `assert${s()}${this.expr(depth - 2, scope)}${this.t()};${s()}${this.expr(depth - 1, scope)}`;
      case 5:
        return `if${s()}${this.expr(depth - 2, scope)}${s()}then${s()}${this.expr(depth - 1, scope)}${s()}else${s()}${this.expr(depth - 1, scope)}`;
      default:
        return this.op(depth - 1, scope);
    }
  }

  private patternLambda(depth: number, scope: readonly string[]): string {
    const s = () => this.s();
    const formals = Array.from({ length: this.int(3) }, () => this.fresh('v'));
    const inner = [...scope, ...formals];
    const parts = formals.map((f) =>
      this.chance(0.4) ? `${f}${s()}?${s()}${this.select(depth - 2, inner)}` : f,
    );
    if (this.chance(0.3)) parts.push('...');
    // a URI default would swallow a comma written right after it
    let body = parts.join(`${s()},${s()}`);
    if (parts.length > 0 && parts[parts.length - 1] !== '...' && this.chance(0.3)) body += `${this.s()},`;
    let pattern = `{${this.t()}${body}${this.t()}}`;
    if (this.chance(0.3)) {
      const alias = this.fresh('v');
      inner.push(alias);
      pattern = this.chance(0.5)
        ? `${pattern}${this.t()}@${this.t()}${alias}`
        : `${alias}${this.t()}@${this.t()}${pattern}`;
    }
    return `${pattern}${this.t()}:${s()}${this.expr(depth - 1, inner)}`;
  }

  /** An operator chain; every non-associative class appears at most once. */
  private op(depth: number, scope: readonly string[]): string {
    const s = () => this.s();
    const operand = (): string => {
      const r = this.int(10);
      if (r === 0) return `!${this.t()}${this.app(depth - 1, scope)}`;
      if (r === 1) return `-${s()}${this.app(depth - 1, scope)}`;
      return this.app(depth - 1, scope);
    };
    let out = operand();
    const used = new Set<string>();
    const length = depth <= 0 ? 0 : this.int(4);
    for (let i = 0; i < length; i++) {
      const op = this.pick([
        '+',
        '-',
        '*',
        '/',
        '++',
        '//',
        '&&',
        '||',
        '->',
        '==',
        '!=',
        '<',
        '>',
        '<=',
        '>=',
        '?',
      ]);
      const group = ['==', '!='].includes(op)
        ? 'eq'
        : ['<', '>', '<=', '>='].includes(op)
          ? 'cmp'
          : op === '?'
            ? '?'
            : '';
      if (group !== '') {
        if (used.has(group)) continue;
        used.add(group);
      }
      out += op === '?' ? `${s()}?${s()}${this.attrPath(depth - 1, scope)}` : `${s()}${op}${s()}${operand()}`;
    }
    return out;
  }

  private app(depth: number, scope: readonly string[]): string {
    let out = this.select(depth, scope);
    if (depth > 0) for (let i = this.int(3); i > 0; i--) out += `${this.s()}${this.select(depth - 1, scope)}`;
    return out;
  }

  private select(depth: number, scope: readonly string[]): string {
    const simple = this.simple(depth, scope);
    if (depth <= 0 || !this.chance(0.25)) return simple;
    const s = () => this.s();
    let out = `${simple}${s()}.${s()}${this.attrPath(depth - 1, scope)}`;
    if (this.chance(0.5)) out += `${s()}or${s()}${this.select(depth - 1, scope)}`;
    return out;
  }

  private attrName(depth: number, scope: readonly string[]): string {
    const r = this.int(6);
    if (r === 0) return `"${this.doubleContent(depth - 1, scope, false)}"`;
    if (r === 1 && depth > 0) return `\${${this.t()}${this.expr(depth - 1, scope)}${this.t()}}`;
    if (r === 2) return 'or';
    return this.fresh('k');
  }

  private attrPath(depth: number, scope: readonly string[]): string {
    const names = Array.from({ length: 1 + this.int(3) }, () => this.attrName(depth, scope));
    return names.join(`${this.s()}.${this.s()}`);
  }

  private variable(scope: readonly string[]): string {
    if (scope.length > 0 && this.chance(0.8)) return this.pick(scope);
    return this.pick(['true', 'false', 'null', 'builtins', 'toString', 'map', 'import', '__curPos']);
  }

  private simple(depth: number, scope: readonly string[]): string {
    const s = () => this.s();
    const t = () => this.t();
    const r = depth <= 0 ? this.int(8) : this.int(16);
    switch (r) {
      case 0:
      case 1:
        return this.variable(scope);
      case 2:
        return this.pick(['0', '42', '007', '1.5', '.5', '0.25', '1.', '2.0e3', '3.5E-2', '1.0e+2']);
      case 3:
        return `"${this.doubleContent(depth - 1, scope, true)}"`;
      case 4:
        return this.indented(depth - 1, scope);
      case 5:
        return this.pick([
          './a',
          './a/b.nix',
          '../up/x',
          '/abs/path',
          '~/home/f',
          'rel/p.nix',
          './.',
          '<nixpkgs>',
          '<nixpkgs/lib>',
        ]);
      case 6:
        return this.pick([
          'https://example.org/a?b=c&d=1',
          'http://x.y/',
          'ftp://h/f.tar.gz',
          'mirror://gnu/hello',
          'urn:isbn:0451450523',
        ]);
      case 7:
        return depth > 0 ? this.interpolatedPath(depth - 1, scope) : './p';
      case 8:
      case 9:
        return this.attrSet(depth - 1, scope);
      case 10:
        return `[${t()}${Array.from({ length: this.int(4) }, () => this.select(depth - 1, scope) + s()).join('')}]`;
      case 11:
      case 12:
        return `(${t()}${this.expr(depth - 1, scope)}${t()})`;
      case 13: {
        const body = this.fresh('k');
        return `let${s()}{${s()}${body}${s()}=${s()}${this.select(depth - 1, scope)};${s()}body${s()}=${s()}${body};${t()}}`;
      }
      default:
        return this.variable(scope);
    }
  }

  private interpolatedPath(depth: number, scope: readonly string[]): string {
    const interp = `\${${this.t()}${this.expr(depth, scope)}${this.t()}}`;
    return this.pick([
      `./a/${interp}`,
      `./a${interp}`,
      `./a/${interp}/b`,
      `./x${interp}y.nix`,
      `~/${interp}`,
      `/p/q-${interp}`,
    ]);
  }

  private attrSet(depth: number, scope: readonly string[]): string {
    const s = () => this.s();
    const rec = this.chance(0.3);
    const bindings: string[] = [];
    const inherited = new Set<string>();
    for (let i = this.int(4); i > 0; i--) {
      if (scope.length > 0 && this.chance(0.2)) {
        const name = this.pick(scope);
        if (inherited.has(name)) continue;
        inherited.add(name);
        bindings.push(`inherit${s()}${name};`);
        continue;
      }
      if (this.chance(0.1)) {
        bindings.push(
          `inherit${s()}(${this.t()}${this.expr(depth - 1, scope)}${this.t()})${s()}${this.fresh('k')}${this.t()};`,
        );
        continue;
      }
      const first = rec || this.chance(0.7) ? this.fresh('k') : `"${this.fresh('q')}"`;
      const rest = this.chance(0.3) ? `${s()}.${s()}${this.fresh('k')}` : '';
      bindings.push(`${first}${rest}${s()}=${s()}${this.expr(depth - 1, scope)}${this.t()};`);
    }
    return `${rec ? `rec${s()}` : ''}{${this.t()}${bindings.join(s())}${this.t()}}`;
  }

  /** The inside of a "…" string. Plain `{` never follows `$`, so no interpolation appears by accident. */
  doubleContent(depth: number, scope: readonly string[], interpolate: boolean): string {
    let out = '';
    for (let i = this.int(6); i > 0; i--) {
      const r = this.int(10);
      if (r < 5) out += this.pick(PLAIN);
      else if (r < 9) out += this.pick(DOUBLE_SPECIAL);
      else if (interpolate && depth > 0) out += `\${${this.t()}${this.expr(depth - 1, scope)}${this.t()}}`;
    }
    if (this.chance(0.1)) out += '$';
    return out;
  }

  /** A ''…'' string; never ends in `'` (that would turn the closing quotes into an escape). */
  indented(depth: number, scope: readonly string[]): string {
    let out = this.pick(["''", "''\n", "''  \n", "'' "]);
    for (let i = this.int(7); i > 0; i--) {
      const r = this.int(10);
      if (r < 4) out += this.pick(PLAIN.filter((p) => p !== "'"));
      else if (r < 9) out += this.pick(INDENTED_SPECIAL);
      else if (depth > 0) out += `\${${this.t()}${this.expr(depth - 1, scope)}${this.t()}}`;
    }
    if (this.chance(0.1)) out += '$';
    return `${out}${this.pick(['', '\n', '\n  '])}''`;
  }
}
