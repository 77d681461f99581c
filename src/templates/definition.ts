import { KilnError, isKilnError } from '../errors/index.js';
import { checkParameterValue } from './params.js';
import { unrepresentableInNix } from './nix-literal.js';
import {
  PARAMETER_TYPES,
  type ParameterType,
  type TemplateDefinition,
  type TemplateParameter,
} from './types.js';
import { isVersion } from './version.js';

export const TEMPLATE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Parameters become attribute names and function formals, so they must be plain identifiers. */
export const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;
// Keywords cannot be formals or unquoted attribute names.
const NIX_KEYWORDS = new Set(['if', 'then', 'else', 'assert', 'with', 'let', 'in', 'rec', 'inherit', 'or']);

export const MAX_EXPRESSION_BYTES = 256 * 1024;
const MAX_PARAMETERS = 64;
const MAX_DESCRIPTION = 2000;

const DEFINITION_KEYS = new Set(['name', 'version', 'description', 'parameters', 'env', 'expression']);
const PARAMETER_KEYS = new Set([
  'name',
  'type',
  'description',
  'required',
  'default',
  'values',
  'pattern',
  'min',
  'max',
]);

function invalid(where: string, message: string): KilnError {
  return new KilnError('KILN_ERR_TEMPLATE_INVALID', `template definition: ${where} ${message}`, {
    field: where,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function text(value: unknown, where: string, options: { max: number; optional?: boolean }): string {
  if (value === undefined && options.optional) return '';
  if (typeof value !== 'string') throw invalid(where, 'must be a string');
  if (value.length > options.max) throw invalid(where, `must be at most ${options.max} characters`);
  const reason = unrepresentableInNix(value);
  if (reason !== undefined) throw invalid(where, reason);
  return value;
}

function checkKeys(value: Record<string, unknown>, allowed: Set<string>, where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      throw invalid(where, `has an unknown field ${JSON.stringify(key)} (known: ${[...allowed].join(', ')})`);
    }
  }
}

/**
 * Validates a template definition (an object, or its JSON text) and returns it normalised:
 * every parameter has `required` and `description`; a parameter without a default is required.
 * Problems are KILN_ERR_TEMPLATE_INVALID naming the field.
 */
export function parseTemplateDefinition(input: unknown): TemplateDefinition {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch (err) {
      throw invalid('JSON', `cannot be parsed: ${(err as Error).message}`);
    }
  }
  if (!isRecord(value)) throw invalid('the definition', 'must be a JSON object');
  checkKeys(value, DEFINITION_KEYS, 'the definition');

  const name = text(value['name'], 'name', { max: 63 });
  if (!TEMPLATE_NAME.test(name)) {
    throw invalid('name', 'must be lowercase letters, digits and dashes, starting with a letter or digit');
  }
  const version = text(value['version'], 'version', { max: 40 });
  if (!isVersion(version)) throw invalid('version', 'must be dot-separated numbers such as 1.0.0');
  const description = text(value['description'], 'description', { max: MAX_DESCRIPTION });
  if (description.trim() === '') throw invalid('description', 'must not be empty');

  const expression = text(value['expression'], 'expression', { max: MAX_EXPRESSION_BYTES });
  if (expression.trim() === '') throw invalid('expression', 'must not be empty');
  if (Buffer.byteLength(expression) > MAX_EXPRESSION_BYTES) {
    throw invalid('expression', `must be at most ${MAX_EXPRESSION_BYTES} bytes`);
  }

  const rawParameters = value['parameters'] ?? [];
  if (!Array.isArray(rawParameters)) throw invalid('parameters', 'must be an array');
  if (rawParameters.length > MAX_PARAMETERS)
    throw invalid('parameters', `must have at most ${MAX_PARAMETERS} entries`);
  const parameters = rawParameters.map((raw, index) => parseParameter(raw, `parameters[${index}]`));
  const seen = new Set<string>();
  for (const param of parameters) {
    if (seen.has(param.name)) throw invalid('parameters', `declares ${JSON.stringify(param.name)} twice`);
    seen.add(param.name);
  }

  const rawEnv = value['env'] ?? {};
  if (!isRecord(rawEnv)) throw invalid('env', 'must be an object of NAME: "value"');
  const env: Record<string, string> = {};
  for (const [key, envValue] of Object.entries(rawEnv)) {
    if (!ENV_NAME.test(key)) throw invalid(`env.${key}`, 'is not a valid environment variable name');
    env[key] = text(envValue, `env.${key}`, { max: 64 * 1024 });
  }

  return { name, version, description, parameters, env, expression };
}

function parseParameter(raw: unknown, where: string): TemplateParameter {
  if (!isRecord(raw)) throw invalid(where, 'must be an object');
  checkKeys(raw, PARAMETER_KEYS, where);
  const name = text(raw['name'], `${where}.name`, { max: 64 });
  if (!PARAMETER_NAME.test(name) || NIX_KEYWORDS.has(name)) {
    throw invalid(
      `${where}.name`,
      `${JSON.stringify(name)} must be an identifier (letters, digits, _) and not a Nix keyword`,
    );
  }
  const at = `parameter '${name}'`;
  const type = raw['type'];
  if (typeof type !== 'string' || !(PARAMETER_TYPES as readonly string[]).includes(type)) {
    throw invalid(`${at}: type`, `must be one of ${PARAMETER_TYPES.join(', ')}`);
  }
  const param: TemplateParameter = {
    name,
    type: type as ParameterType,
    description: text(raw['description'], `${at}: description`, { max: MAX_DESCRIPTION, optional: true }),
    required: false,
  };

  if (raw['values'] !== undefined) {
    if (param.type !== 'enum') throw invalid(`${at}: values`, 'is only for type enum');
    const values = raw['values'];
    if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string')) {
      throw invalid(`${at}: values`, 'must be a non-empty array of strings');
    }
    if (new Set(values).size !== values.length) throw invalid(`${at}: values`, 'must not repeat a value');
    param.values = values.map((v, i) => text(v, `${at}: values[${i}]`, { max: 1000 }));
  } else if (param.type === 'enum') {
    throw invalid(`${at}: values`, 'is required for type enum');
  }

  if (raw['pattern'] !== undefined) {
    if (param.type !== 'string' && param.type !== 'list') {
      throw invalid(`${at}: pattern`, 'is only for types string and list');
    }
    const pattern = text(raw['pattern'], `${at}: pattern`, { max: 500 });
    try {
      new RegExp(pattern, 'u');
    } catch (err) {
      throw invalid(`${at}: pattern`, `is not a valid regular expression: ${(err as Error).message}`);
    }
    param.pattern = pattern;
  }

  for (const bound of ['min', 'max'] as const) {
    const b = raw[bound];
    if (b === undefined) continue;
    if (param.type !== 'integer') throw invalid(`${at}: ${bound}`, 'is only for type integer');
    if (typeof b !== 'number' || !Number.isSafeInteger(b))
      throw invalid(`${at}: ${bound}`, 'must be an integer');
    param[bound] = b;
  }
  if (param.min !== undefined && param.max !== undefined && param.min > param.max) {
    throw invalid(`${at}: min`, 'must not be greater than max');
  }

  const required = raw['required'];
  if (required !== undefined && typeof required !== 'boolean')
    throw invalid(`${at}: required`, 'must be true or false');
  const hasDefault = raw['default'] !== undefined;
  if (required === true && hasDefault) throw invalid(at, 'cannot be required and have a default');
  if (required === false && !hasDefault) throw invalid(at, 'is optional, so it needs a default');
  if (hasDefault) {
    try {
      checkParameterValue(param, raw['default']);
    } catch (err) {
      if (isKilnError(err)) throw invalid(`${at}: default`, `is not valid: ${err.message}`);
      throw err;
    }
    const value = raw['default'];
    param.default = Array.isArray(value) ? [...(value as string[])] : value;
  } else {
    param.required = true;
  }
  return param;
}
