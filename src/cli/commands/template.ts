import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { KilnError } from '../../errors/index.js';
import {
  inlineExpressionFile,
  typeLabel,
  type Template,
  type TemplateParameter,
  type TemplateSummary,
} from '../../templates/index.js';
import type { TemplatePlan } from '../args/index.js';
import { connect } from '../connection.js';
import { writeJson, writeLine, type CliIo } from '../io.js';

const templatePath = (name: string, version?: string): string =>
  `/api/v1/templates/${encodeURIComponent(name)}${version === undefined ? '' : `?version=${encodeURIComponent(version)}`}`;

export async function runTemplate(plan: TemplatePlan, io: CliIo): Promise<number> {
  const client = connect(plan.client, io);
  const print = (value: unknown, lines: () => string[]): void => {
    if (plan.json) writeJson(io.stdout, value);
    else for (const line of lines()) writeLine(io.stdout, line);
  };
  switch (plan.action) {
    case 'list': {
      const { templates } = await client.call<{ templates: TemplateSummary[] }>('GET', '/api/v1/templates');
      print({ templates }, () => templates.map(summaryLine));
      return 0;
    }
    case 'show': {
      const template = await client.call<Template>('GET', templatePath(plan.name, plan.version));
      print(template, () => templateLines(template));
      return 0;
    }
    case 'add': {
      const definition = readDefinitionFile(resolve(io.cwd ?? process.cwd(), plan.file));
      const added = await client.call<Template>('POST', '/api/v1/templates', definition);
      print(added, () => [`added template ${added.name} ${added.version}`]);
      return 0;
    }
    case 'remove': {
      const result = await client.call<{ name: string; removed: number }>(
        'DELETE',
        templatePath(plan.name, plan.version),
      );
      print(result, () => [
        plan.version === undefined
          ? `removed template ${result.name} (${result.removed} version${result.removed === 1 ? '' : 's'})`
          : `removed template ${result.name} ${plan.version}`,
      ]);
      return 0;
    }
  }
}

/** Reads a definition file; `expressionFile` is read relative to it and sent inline. */
export function readDefinitionFile(path: string): unknown {
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new KilnError('KILN_ERR_FILE_NOT_FOUND', `cannot read ${file}: ${code ?? String(err)}`, {
        path: file,
      });
    }
  };
  let raw: unknown;
  try {
    raw = JSON.parse(read(path)) as unknown;
  } catch (err) {
    if (err instanceof KilnError) throw err;
    throw new KilnError('KILN_ERR_TEMPLATE_INVALID', `${path} is not valid JSON: ${(err as Error).message}`, {
      path,
    });
  }
  return inlineExpressionFile(raw, (file) => read(resolve(dirname(path), file)));
}

export function summaryLine(summary: TemplateSummary): string {
  const versions = summary.versions.length > 1 ? ` (versions ${summary.versions.join(', ')})` : '';
  return `${summary.name}\t${summary.version}\t${summary.builtin ? 'built-in' : 'added'}\t${summary.description}${versions}`;
}

function parameterLine(param: TemplateParameter): string {
  const rules = [
    param.required ? 'required' : `default ${JSON.stringify(param.default)}`,
    param.pattern !== undefined && `pattern /${param.pattern}/`,
    param.min !== undefined && `min ${param.min}`,
    param.max !== undefined && `max ${param.max}`,
  ].filter(Boolean);
  const description = param.description === '' ? '' : `  ${param.description}`;
  return `  ${param.name}: ${typeLabel(param)}, ${rules.join(', ')}${description}`;
}

export function templateLines(template: Template): string[] {
  const env = Object.entries(template.env);
  return [
    `${template.name} ${template.version}${template.builtin ? ' (built-in)' : ''}`,
    template.description,
    '',
    template.parameters.length === 0 ? 'Parameters: none' : 'Parameters (--set NAME=VALUE):',
    ...template.parameters.map(parameterLine),
    ...(env.length === 0 ? [] : ['', 'Environment:', ...env.map(([key, value]) => `  ${key}=${value}`)]),
    '',
    'Expression:',
    template.expression.trimEnd(),
  ];
}
