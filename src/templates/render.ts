import { KilnError } from '../errors/index.js';
import { nixAttrSet } from './nix-literal.js';
import { parseParameterText } from './params.js';
import type { ParameterValue, RenderedTemplate, TemplateDefinition } from './types.js';

function known(template: TemplateDefinition): string {
  const names = template.parameters.map((param) => param.name);
  return names.length === 0 ? 'it takes no parameters' : `known: ${names.join(', ')}`;
}

/**
 * Every parameter's value: `--set NAME=TEXT` texts parsed by the declared types, defaults for the
 * rest. Unknown names, missing required parameters and ill-typed or out-of-range values are
 * KILN_ERR_TEMPLATE_PARAM.
 */
export function resolveTemplateValues(
  template: TemplateDefinition,
  params: Readonly<Record<string, string>>,
): Record<string, ParameterValue> {
  const declared = new Map(template.parameters.map((param) => [param.name, param]));
  const unknown = Object.keys(params).filter((name) => !declared.has(name));
  if (unknown.length > 0) {
    throw new KilnError(
      'KILN_ERR_TEMPLATE_PARAM',
      `template ${template.name} has no parameter ${unknown.map((n) => `'${n}'`).join(', ')} (${known(template)})`,
      { unknown, known: [...declared.keys()] },
    );
  }
  const missing = template.parameters.filter((param) => param.required && !Object.hasOwn(params, param.name));
  if (missing.length > 0) {
    const names = missing.map((param) => param.name);
    throw new KilnError(
      'KILN_ERR_TEMPLATE_PARAM',
      `template ${template.name} needs ${names.map((n) => `--set ${n}=…`).join(', ')}`,
      { missing: names, known: [...declared.keys()] },
    );
  }
  const values: Record<string, ParameterValue> = {};
  for (const param of template.parameters) {
    const given = Object.hasOwn(params, param.name) ? params[param.name] : undefined;
    if (given !== undefined) values[param.name] = parseParameterText(param, given);
    else if (param.default !== undefined) values[param.name] = param.default;
  }
  return values;
}

/**
 * The Nix expression a build evaluates: the template's body applied to an attribute set with
 * every parameter as an escaped literal, `(BODY) { name = "…"; port = 8080; }`. Values never
 * become Nix code. `env` overrides the template's default environment variables.
 */
export function renderTemplate(
  template: TemplateDefinition,
  params: Readonly<Record<string, string>>,
  options: { env?: Readonly<Record<string, string>> | undefined } = {},
): RenderedTemplate {
  const values = resolveTemplateValues(template, params);
  // Newlines around the body: a trailing `# comment` in it must not swallow the `)`.
  const expression = `(\n${template.expression}\n) ${nixAttrSet(values)}\n`;
  return { expression, env: { ...template.env, ...options.env }, values };
}
