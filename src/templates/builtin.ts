import { readFileSync } from 'node:fs';
import { parseTemplateDefinition } from './definition.js';
import { inlineExpressionFile } from './definition-file.js';
import type { Template } from './types.js';

/** Shipped as JSON + Nix files next to this module (scripts/copy-assets.mjs copies them to dist). */
const BUILTIN_DIR = new URL('./builtin/', import.meta.url);

export const BUILTIN_TEMPLATE_NAMES = ['static-site', 'shell-service', 'multi-output'] as const;

let loaded: readonly Template[] | undefined;

/** kiln's built-in templates, read and validated once (a broken one is a packaging bug: it throws). */
export function builtinTemplates(): readonly Template[] {
  loaded ??= BUILTIN_TEMPLATE_NAMES.map((name) => {
    const read = (file: string): string => readFileSync(new URL(file, BUILTIN_DIR), 'utf8');
    const raw = JSON.parse(read(`${name}.json`)) as unknown;
    const definition = parseTemplateDefinition(inlineExpressionFile(raw, read));
    return Object.freeze({ ...definition, builtin: true, createdAt: null });
  });
  return loaded;
}
