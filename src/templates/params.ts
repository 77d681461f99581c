import { KilnError } from '../errors/index.js';
import { unrepresentableInNix } from './nix-literal.js';
import type { ParameterValue, TemplateParameter } from './types.js';

const INTEGER_TEXT = /^[+-]?\d+$/;

function paramError(
  param: TemplateParameter,
  message: string,
  extra: Record<string, unknown> = {},
): KilnError {
  return new KilnError('KILN_ERR_TEMPLATE_PARAM', `parameter '${param.name}' ${message}`, {
    parameter: param.name,
    type: typeLabel(param),
    ...extra,
  });
}

/** How a type is named in messages: `integer`, `enum (a, b)`, `list of strings`. */
export function typeLabel(param: Pick<TemplateParameter, 'type' | 'values'>): string {
  switch (param.type) {
    case 'enum':
      return `enum (${(param.values ?? []).join(', ')})`;
    case 'list':
      return 'list of strings';
    default:
      return param.type;
  }
}

/** The whole-value form of a parameter's pattern (a pattern constrains the whole string). */
export function patternRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, 'u');
}

/**
 * Parses the text of `--set NAME=TEXT` by the parameter's declared type:
 * integer: decimal digits with an optional sign; boolean: `true` or `false`;
 * enum: one of the declared values; list: a JSON array of strings (`["a","b,c"]`), or else
 * comma-separated items (`a,b`; the empty text is the empty list); string: the text as is.
 */
export function parseParameterText(param: TemplateParameter, text: string): ParameterValue {
  let value: ParameterValue;
  switch (param.type) {
    case 'string':
    case 'enum':
      value = text;
      break;
    case 'integer': {
      const trimmed = text.trim();
      if (!INTEGER_TEXT.test(trimmed)) {
        throw paramError(param, `is an integer, got ${JSON.stringify(text)}`, { value: text });
      }
      value = Number(trimmed);
      if (!Number.isSafeInteger(value)) {
        throw paramError(
          param,
          `is an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`,
        );
      }
      break;
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') {
        throw paramError(param, `is a boolean (true or false), got ${JSON.stringify(text)}`, { value: text });
      }
      value = text === 'true';
      break;
    case 'list':
      value = parseListText(param, text);
      break;
  }
  checkParameterValue(param, value);
  return value;
}

function parseListText(param: TemplateParameter, text: string): string[] {
  if (text.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw paramError(
        param,
        'is a list of strings: a value starting with [ must be a JSON array of strings',
      );
    }
    if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
      throw paramError(
        param,
        'is a list of strings: a value starting with [ must be a JSON array of strings',
      );
    }
    return parsed;
  }
  return text === '' ? [] : text.split(',');
}

/**
 * Checks a typed value (a parsed `--set`, or a default from a definition) against the parameter's
 * type and constraints; throws KILN_ERR_TEMPLATE_PARAM naming the parameter and the rule.
 */
export function checkParameterValue(
  param: TemplateParameter,
  value: unknown,
): asserts value is ParameterValue {
  const label = typeLabel(param);
  switch (param.type) {
    case 'string':
    case 'enum': {
      if (typeof value !== 'string') throw paramError(param, `is ${article(label)} ${label}`);
      checkText(param, value);
      if (param.type === 'enum' && !(param.values ?? []).includes(value)) {
        throw paramError(
          param,
          `must be one of ${(param.values ?? []).join(', ')}, got ${JSON.stringify(value)}`,
          {
            value,
            allowed: param.values,
          },
        );
      }
      return;
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw paramError(param, 'is an integer');
      if (param.min !== undefined && value < param.min) {
        throw paramError(param, `must be at least ${param.min}, got ${value}`, { value, min: param.min });
      }
      if (param.max !== undefined && value > param.max) {
        throw paramError(param, `must be at most ${param.max}, got ${value}`, { value, max: param.max });
      }
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw paramError(param, 'is a boolean (true or false)');
      return;
    case 'list':
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
        throw paramError(param, 'is a list of strings');
      }
      for (const item of value) checkText(param, item);
      return;
  }
}

function checkText(param: TemplateParameter, text: string): void {
  const reason = unrepresentableInNix(text);
  if (reason !== undefined) throw paramError(param, `has a value that ${reason}`);
  if (param.pattern !== undefined && !patternRegExp(param.pattern).test(text)) {
    const what = param.type === 'list' ? `item ${JSON.stringify(text)}` : `value ${JSON.stringify(text)}`;
    throw paramError(param, `must match /${param.pattern}/, got ${what}`, {
      value: text,
      pattern: param.pattern,
    });
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
