import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KilnError } from '../../../src/errors/index.js';
import {
  builtinTemplates,
  compareVersions,
  inlineExpressionFile,
  parseTemplateDefinition,
} from '../../../src/templates/index.js';

const EXPRESSION = '{ name, port }: derivation { inherit name; builder = "/bin/sh"; system = "x"; }';

function definition(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'web-app',
    version: '1.2.0',
    description: 'A web app',
    parameters: [
      { name: 'name', type: 'string', required: true, pattern: '[a-z]+', description: 'the name' },
      { name: 'port', type: 'integer', default: 8080, min: 1, max: 65535 },
    ],
    env: { NODE_ENV: 'production' },
    expression: EXPRESSION,
    ...overrides,
  };
}

function rejects(input: unknown, mention: string): void {
  assert.throws(
    () => parseTemplateDefinition(input),
    (err: unknown) =>
      err instanceof KilnError && err.code === 'KILN_ERR_TEMPLATE_INVALID' && err.message.includes(mention),
    `expected KILN_ERR_TEMPLATE_INVALID mentioning ${JSON.stringify(mention)}`,
  );
}

const param = (overrides: Record<string, unknown>) =>
  definition({ parameters: [{ name: 'p', ...overrides }] });

describe('parseTemplateDefinition', () => {
  it('accepts a complete definition and normalises parameters', () => {
    const parsed = parseTemplateDefinition(definition());
    assert.equal(parsed.name, 'web-app');
    assert.equal(parsed.version, '1.2.0');
    assert.deepEqual(parsed.env, { NODE_ENV: 'production' });
    assert.equal(parsed.expression, EXPRESSION);
    assert.deepEqual(parsed.parameters, [
      { name: 'name', type: 'string', required: true, pattern: '[a-z]+', description: 'the name' },
      { name: 'port', type: 'integer', required: false, default: 8080, min: 1, max: 65535, description: '' },
    ]);
  });

  it('accepts JSON text, and reports JSON syntax errors', () => {
    assert.equal(parseTemplateDefinition(JSON.stringify(definition())).name, 'web-app');
    rejects('{"name": ', 'cannot be parsed');
    rejects('[1]', 'must be a JSON object');
  });

  it('a parameter without a default is required; parameters and env may be omitted', () => {
    const parsed = parseTemplateDefinition(
      definition({ parameters: [{ name: 'title', type: 'string' }], env: undefined }),
    );
    assert.equal(parsed.parameters[0]?.required, true);
    assert.deepEqual(parsed.env, {});
    assert.deepEqual(parseTemplateDefinition(definition({ parameters: undefined })).parameters, []);
  });

  it('accepts every parameter type with a valid default', () => {
    const parsed = parseTemplateDefinition(
      definition({
        parameters: [
          { name: 's', type: 'string', default: 'x' },
          { name: 'i', type: 'integer', default: -3 },
          { name: 'b', type: 'boolean', default: false },
          { name: 'e', type: 'enum', values: ['a', 'b'], default: 'b' },
          { name: 'l', type: 'list', default: ['x', 'y'], pattern: '[a-z]' },
          { name: 'empty', type: 'list', default: [] },
        ],
      }),
    );
    assert.deepEqual(
      parsed.parameters.map((p) => p.default),
      ['x', -3, false, 'b', ['x', 'y'], []],
    );
  });

  it('rejects bad names, versions, descriptions and expressions', () => {
    rejects(definition({ name: 'Web' }), 'name must be lowercase');
    rejects(definition({ name: '-web' }), 'name must be lowercase');
    rejects(definition({ name: 'a'.repeat(64) }), 'name');
    rejects(definition({ name: 42 }), 'name must be a string');
    rejects(definition({ version: 'v1' }), 'version must be dot-separated numbers');
    rejects(definition({ version: '1.2.3.4.5' }), 'version');
    rejects(definition({ version: undefined }), 'version must be a string');
    rejects(definition({ description: ' ' }), 'description must not be empty');
    rejects(definition({ expression: '' }), 'expression must not be empty');
    rejects(definition({ expression: 'x'.repeat(256 * 1024 + 1) }), 'expression must be at most');
    rejects(definition({ expression: 'a\0b' }), 'NUL');
  });

  it('rejects unknown fields at both levels, naming the known ones', () => {
    rejects(definition({ params: [] }), 'unknown field "params" (known: name, version');
    rejects(param({ type: 'string', default: 'x', optional: true }), 'unknown field "optional"');
  });

  it('rejects parameter names that are not Nix identifiers, keywords and duplicates', () => {
    rejects(param({ name: 'my-param', type: 'string', default: '' }), 'must be an identifier');
    rejects(param({ name: '1x', type: 'string', default: '' }), 'must be an identifier');
    rejects(param({ name: 'with', type: 'string', default: '' }), 'not a Nix keyword');
    rejects(
      definition({
        parameters: [
          { name: 'a', type: 'string', default: '' },
          { name: 'a', type: 'integer', default: 1 },
        ],
      }),
      'declares "a" twice',
    );
  });

  it('rejects unknown types and constraints that do not fit the type', () => {
    rejects(param({ type: 'float', default: 1 }), 'type must be one of string, integer, boolean, enum, list');
    rejects(param({ type: 'enum', default: 'a' }), 'values is required for type enum');
    rejects(param({ type: 'enum', values: [], required: true }), 'non-empty array of strings');
    rejects(param({ type: 'enum', values: ['a', 'a'], required: true }), 'must not repeat');
    rejects(param({ type: 'string', values: ['a'], default: 'a' }), 'values is only for type enum');
    rejects(
      param({ type: 'integer', pattern: '1', default: 1 }),
      'pattern is only for types string and list',
    );
    rejects(param({ type: 'string', pattern: '(', default: 'a' }), 'not a valid regular expression');
    rejects(param({ type: 'string', min: 1, default: 'a' }), 'min is only for type integer');
    rejects(param({ type: 'integer', min: 1.5, default: 2 }), 'min must be an integer');
    rejects(param({ type: 'integer', min: 5, max: 1, default: 2 }), 'min must not be greater than max');
  });

  it('rejects required parameters with defaults, optional ones without, and defaults that break the rules', () => {
    rejects(param({ type: 'string', required: true, default: 'x' }), 'cannot be required and have a default');
    rejects(param({ type: 'string', required: false }), 'needs a default');
    rejects(param({ type: 'string', required: 'yes' }), 'required must be true or false');
    rejects(param({ type: 'integer', default: '8080' }), "parameter 'p': default is not valid");
    rejects(param({ type: 'integer', default: 0, min: 1 }), 'must be at least 1');
    rejects(param({ type: 'boolean', default: 'true' }), 'default is not valid');
    rejects(param({ type: 'enum', values: ['a'], default: 'b' }), 'must be one of a');
    rejects(param({ type: 'list', default: 'a,b' }), 'is a list of strings');
    rejects(param({ type: 'string', pattern: '[a-z]+', default: 'A' }), 'must match');
  });

  it('rejects env names that are not variable names and non-string values', () => {
    rejects(
      definition({ env: { 'BAD-NAME': 'x' } }),
      'env.BAD-NAME is not a valid environment variable name',
    );
    rejects(definition({ env: { OK: 1 } }), 'env.OK must be a string');
    rejects(definition({ env: [] }), 'env must be an object');
  });
});

describe('inlineExpressionFile', () => {
  it('replaces expressionFile with the file content read relative to the definition', () => {
    const reads: string[] = [];
    const result = inlineExpressionFile({ name: 'x', expressionFile: 'x.nix' }, (path) => {
      reads.push(path);
      return '{ }: 1';
    });
    assert.deepEqual(result, { name: 'x', expression: '{ }: 1' });
    assert.deepEqual(reads, ['x.nix']);
  });

  it('leaves definitions without expressionFile alone and refuses both at once', () => {
    const plain = { name: 'x', expression: 'e' };
    assert.equal(
      inlineExpressionFile(plain, () => assert.fail('no read')),
      plain,
    );
    assert.throws(
      () => inlineExpressionFile({ expression: 'e', expressionFile: 'f' }, () => ''),
      /either expression or expressionFile/,
    );
  });
});

describe('versions', () => {
  it('compare numerically, missing parts count as 0', () => {
    assert.ok(compareVersions('1.10', '1.9') > 0);
    assert.ok(compareVersions('1.0.1', '1.0') > 0);
    assert.equal(compareVersions('1.0', '1.0.0'), 0);
    assert.ok(compareVersions('2', '10') < 0);
  });
});

describe('built-in templates', () => {
  it('ship at least three valid definitions with defaults for every optional parameter', () => {
    const builtins = builtinTemplates();
    assert.ok(builtins.length >= 3);
    assert.deepEqual(
      builtins.map((t) => t.name),
      ['static-site', 'shell-service', 'multi-output'],
    );
    for (const template of builtins) {
      assert.equal(template.builtin, true);
      assert.ok(template.description.length > 10);
      assert.ok(template.expression.includes('derivation'));
    }
  });
});
