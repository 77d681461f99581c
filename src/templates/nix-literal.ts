import { KilnError } from '../errors/index.js';
import type { ParameterValue } from './types.js';

// Lone UTF-16 surrogates cannot be written as UTF-8, so such a string would not reach Nix intact.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be a Nix string value, or undefined when it can. */
export function unrepresentableInNix(value: string): string | undefined {
  // Nix strings are C strings inside the evaluator: a NUL would silently cut the value.
  if (value.includes('\0')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(value)) return 'is not valid Unicode (a lone surrogate)';
  return undefined;
}

/**
 * A double-quoted Nix string literal whose value is exactly `value`. Every `\`, `"` and `$` is
 * escaped (escaping each `$`, not only `${`, leaves no `$$`/`${` corner for the lexer to read as
 * an interpolation), and newline, carriage return and tab use Nix's escapes.
 */
export function nixString(value: string): string {
  const reason = unrepresentableInNix(value);
  if (reason !== undefined) {
    throw new KilnError('KILN_ERR_TEMPLATE_PARAM', `a string value ${reason}`, { reason });
  }
  let out = '"';
  for (const char of value) {
    switch (char) {
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      case '$':
        out += '\\$';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      default:
        out += char;
    }
  }
  return `${out}"`;
}

/** A Nix literal for a parameter value: string, integer, boolean or list of strings. */
export function nixLiteral(value: ParameterValue): string {
  if (typeof value === 'string') return nixString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    // Nix integers are 64-bit; the parameter parser only produces safe integers.
    if (!Number.isSafeInteger(value)) {
      throw new KilnError('KILN_ERR_TEMPLATE_PARAM', `${value} is not an integer kiln can pass to Nix`);
    }
    // A negative literal is a unary minus applied to a number, which Nix folds into an int.
    return value < 0 ? `(${value})` : String(value);
  }
  return value.length === 0 ? '[ ]' : `[ ${value.map(nixString).join(' ')} ]`;
}

/** `{ a = LIT; b = LIT; }` for identifiers checked by the definition parser. */
export function nixAttrSet(values: Readonly<Record<string, ParameterValue>>): string {
  const entries = Object.entries(values);
  if (entries.length === 0) return '{ }';
  return `{ ${entries.map(([name, value]) => `${name} = ${nixLiteral(value)};`).join(' ')} }`;
}
