import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import fc from 'fast-check';
import {
  nixString,
  parseTemplateDefinition,
  renderTemplate,
  unrepresentableInNix,
} from '../../../src/templates/index.js';

const run = promisify(execFile);

/** The real evaluator: `nix-instantiate --eval --strict --json` of an expression. */
async function evaluate(expression: string): Promise<unknown> {
  const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', '--expr', expression], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/tmp', NIX_PATH: '' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as unknown;
}

// Characters that matter to Nix's string lexer, mixed with anything else Unicode has.
const nasty = fc.constantFrom(
  '$',
  '{',
  '}',
  '${',
  '$${',
  '\\',
  '"',
  "''",
  '\n',
  '\r',
  '\t',
  '#',
  ';',
  'a',
  ' ',
);
const value = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.string({ unit: nasty, maxLength: 30 }),
    fc.string({
      unit: fc.oneof(nasty, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })),
      maxLength: 30,
    }),
  )
  .filter((s) => unrepresentableInNix(s) === undefined);

const echo = parseTemplateDefinition({
  name: 'echo',
  version: '1',
  description: 'returns its parameters',
  parameters: [
    { name: 'text', type: 'string', required: true },
    { name: 'items', type: 'list', default: [] },
  ],
  expression: '{ text, items }: { inherit text items; }',
});

describe('Nix string literals against the real nix-instantiate', () => {
  it('any string value round-trips exactly through nixString', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 40 }), async (strings) => {
        // One evaluation per batch of strings keeps the property to a few dozen nix processes.
        const evaluated = await evaluate(`[ ${strings.map(nixString).join(' ')} ]`);
        assert.deepEqual(evaluated, strings);
      }),
      { numRuns: 25 },
    );
  });

  it('any --set value of a rendered template reaches the expression unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(value, fc.array(value, { maxLength: 4 }), async (text, items) => {
        const rendered = renderTemplate(echo, { text, items: JSON.stringify(items) });
        assert.deepEqual(await evaluate(rendered.expression), { text, items });
      }),
      { numRuns: 15 },
    );
  });

  it('values written as Nix code stay strings: no interpolation, no escape from the literal', async () => {
    const attacks = [
      '${builtins.abort "injected"}',
      '$${builtins.abort "injected"}',
      '\\${builtins.abort "injected"}',
      '"; text = builtins.abort "injected"; x = "',
      "'' + builtins.abort \"injected\" + ''",
      '\\',
      '$',
      '${',
      'a$\\{b}',
    ];
    const evaluated = await evaluate(`[ ${attacks.map(nixString).join(' ')} ]`);
    assert.deepEqual(evaluated, attacks);
    for (const attack of attacks) {
      assert.deepEqual(await evaluate(renderTemplate(echo, { text: attack }).expression), {
        text: attack,
        items: [],
      });
    }
  });
});
