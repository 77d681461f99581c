import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KilnError } from '../../../src/errors/index.js';
import {
  nixAttrSet,
  nixLiteral,
  nixString,
  parseTemplateDefinition,
  renderTemplate,
  type TemplateDefinition,
} from '../../../src/templates/index.js';

const template: TemplateDefinition = parseTemplateDefinition({
  name: 'svc',
  version: '1.0.0',
  description: 'a service',
  parameters: [
    { name: 'name', type: 'string', required: true, pattern: '[a-z][a-z0-9-]*' },
    { name: 'port', type: 'integer', default: 8080, min: 1, max: 65535 },
    { name: 'debug', type: 'boolean', default: false },
    { name: 'mode', type: 'enum', values: ['dev', 'prod'], default: 'prod' },
    { name: 'hosts', type: 'list', default: ['localhost'], pattern: '[a-z.]+' },
    { name: 'message', type: 'string', default: 'hi' },
  ],
  env: { LOG_LEVEL: 'info', KEEP: 'yes' },
  expression: '{ name, port, debug, mode, hosts, message }: { inherit name; } # trailing comment',
});

function paramError(params: Record<string, string>, ...mentions: string[]): KilnError {
  let caught: unknown;
  try {
    renderTemplate(template, params);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof KilnError, `expected a KilnError for ${JSON.stringify(params)}`);
  assert.equal(caught.code, 'KILN_ERR_TEMPLATE_PARAM');
  for (const mention of mentions)
    assert.ok(caught.message.includes(mention), `${caught.message} ∌ ${mention}`);
  return caught;
}

describe('renderTemplate', () => {
  it('applies the body to every parameter, given ones parsed by type and the rest from defaults', () => {
    const rendered = renderTemplate(template, { name: 'web', port: '9000', debug: 'true', hosts: 'a.b,c' });
    assert.equal(
      rendered.expression,
      '(\n{ name, port, debug, mode, hosts, message }: { inherit name; } # trailing comment\n) ' +
        '{ name = "web"; port = 9000; debug = true; mode = "prod"; hosts = [ "a.b" "c" ]; message = "hi"; }\n',
    );
    assert.deepEqual(rendered.values, {
      name: 'web',
      port: 9000,
      debug: true,
      mode: 'prod',
      hosts: ['a.b', 'c'],
      message: 'hi',
    });
  });

  it('returns the default environment, overridden by the caller', () => {
    assert.deepEqual(renderTemplate(template, { name: 'x' }).env, { LOG_LEVEL: 'info', KEEP: 'yes' });
    assert.deepEqual(
      renderTemplate(template, { name: 'x' }, { env: { LOG_LEVEL: 'debug', EXTRA: '1' } }).env,
      {
        LOG_LEVEL: 'debug',
        KEEP: 'yes',
        EXTRA: '1',
      },
    );
  });

  it('lists accept a JSON array (items may contain commas) and the empty text as the empty list', () => {
    const hostsOnly = (text: string) => renderTemplate(template, { name: 'x', hosts: text }).values['hosts'];
    assert.deepEqual(hostsOnly('["a.b","c.d"]'), ['a.b', 'c.d']);
    assert.deepEqual(hostsOnly(''), []);
    assert.deepEqual(hostsOnly('[]'), []);
  });

  it('an unknown parameter is an error listing the known ones', () => {
    const err = paramError(
      { name: 'x', prot: '1' },
      "no parameter 'prot'",
      'known: name, port, debug, mode, hosts, message',
    );
    assert.deepEqual(err.details?.['unknown'], ['prot']);
  });

  it('missing required parameters are named', () => {
    const err = paramError({}, 'needs --set name=');
    assert.deepEqual(err.details?.['missing'], ['name']);
  });

  it('ill-typed values name the parameter and its type', () => {
    paramError({ name: 'x', port: 'eighty' }, "parameter 'port' is an integer", '"eighty"');
    paramError({ name: 'x', port: '80.5' }, "parameter 'port' is an integer");
    paramError({ name: 'x', port: '99999999999999999999' }, "parameter 'port' is an integer between");
    paramError({ name: 'x', debug: 'yes' }, "parameter 'debug' is a boolean (true or false)");
    paramError({ name: 'x', mode: 'test' }, "parameter 'mode' must be one of dev, prod");
    paramError({ name: 'x', hosts: '["a", 1]' }, "parameter 'hosts' is a list of strings");
    paramError({ name: 'x', hosts: '[oops' }, "parameter 'hosts' is a list of strings");
    const err = paramError({ name: 'x', mode: 'test' });
    assert.equal(err.details?.['type'], 'enum (dev, prod)');
  });

  it('pattern, min and max violations are errors', () => {
    paramError({ name: 'Web' }, "parameter 'name' must match /[a-z][a-z0-9-]*/", '"Web"');
    // The pattern applies to the whole value, not a substring.
    paramError({ name: 'web; rm -rf /' }, 'must match');
    paramError({ name: 'x', port: '0' }, 'must be at least 1, got 0');
    paramError({ name: 'x', port: '65536' }, 'must be at most 65535');
    paramError({ name: 'x', hosts: 'ok,BAD' }, 'item "BAD"');
  });

  it('values with NUL or lone surrogates cannot reach Nix intact and are refused', () => {
    paramError({ name: 'x', message: 'a\0b' }, 'NUL');
    paramError({ name: 'x', message: 'a\uD800b' }, 'lone surrogate');
  });

  it('a template without parameters renders with an empty attribute set', () => {
    const bare = parseTemplateDefinition({ name: 'b', version: '1', description: 'd', expression: '{ }: 1' });
    assert.equal(renderTemplate(bare, {}).expression, '(\n{ }: 1\n) { }\n');
    assert.throws(() => renderTemplate(bare, { x: '1' }), /it takes no parameters/);
  });
});

describe('Nix literals', () => {
  it('escape backslash, quote, dollar and control characters', () => {
    assert.equal(nixString('plain'), '"plain"');
    assert.equal(nixString('a"b'), '"a\\"b"');
    assert.equal(nixString('back\\slash'), '"back\\\\slash"');
    assert.equal(nixString('${builtins.currentTime}'), '"\\${builtins.currentTime}"');
    assert.equal(nixString('$$x'), '"\\$\\$x"');
    assert.equal(nixString('line\nnext\r\ttab'), '"line\\nnext\\r\\ttab"');
    assert.equal(nixString('ünïcode ✓'), '"ünïcode ✓"');
  });

  it('render integers, booleans and lists; negative numbers in parentheses', () => {
    assert.equal(nixLiteral(42), '42');
    assert.equal(nixLiteral(-7), '(-7)');
    assert.equal(nixLiteral(true), 'true');
    assert.equal(nixLiteral(['a', '${x}']), '[ "a" "\\${x}" ]');
    assert.equal(nixLiteral([]), '[ ]');
    assert.throws(() => nixLiteral(1.5), /not an integer/);
    assert.equal(nixAttrSet({}), '{ }');
  });
});
