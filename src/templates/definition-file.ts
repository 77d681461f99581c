import { KilnError } from '../errors/index.js';

/**
 * Template definition files may keep the Nix body in a separate file:
 * `"expressionFile": "site.nix"` (relative to the JSON file) instead of `"expression"`. This turns
 * such a file's content into the definition kiln stores, with the body inlined; `readText`
 * reads a path relative to the definition file. The API only ever sees `expression`.
 */
export function inlineExpressionFile(raw: unknown, readText: (relativePath: string) => string): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const { expressionFile, ...rest } = raw as Record<string, unknown>;
  if (expressionFile === undefined) return raw;
  if (typeof expressionFile !== 'string' || expressionFile === '') {
    throw new KilnError(
      'KILN_ERR_TEMPLATE_INVALID',
      'template definition: expressionFile must be a file name',
      {
        field: 'expressionFile',
      },
    );
  }
  if (rest['expression'] !== undefined) {
    throw new KilnError(
      'KILN_ERR_TEMPLATE_INVALID',
      'template definition: give either expression or expressionFile, not both',
      { field: 'expressionFile' },
    );
  }
  return { ...rest, expression: readText(expressionFile) };
}
