import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCommandLine, type Plan } from '../../../src/cli/args/index.js';
import { readDefinitionFile, summaryLine, templateLines } from '../../../src/cli/commands/template.js';
import { exitCodeFor } from '../../../src/cli/errors.js';
import { usageText } from '../../../src/cli/usage.js';
import { KilnError } from '../../../src/errors/index.js';
import { builtinTemplates, parseTemplateDefinition } from '../../../src/templates/index.js';
import { tempDir } from '../../helpers/tmp.js';

type TemplatePlan = Extract<Plan, { command: 'template' }>;

function parse(argv: string[]): TemplatePlan {
  const plan = parseCommandLine(['template', ...argv]);
  assert.equal(plan.command, 'template');
  return plan;
}

function rejects(argv: string[], code: string, mention: string): void {
  assert.throws(
    () => parseCommandLine(['template', ...argv]),
    (err: unknown) => err instanceof KilnError && err.code === code && err.message.includes(mention),
    `${argv.join(' ')} should fail with ${code} mentioning ${mention}`,
  );
}

describe('kiln template arguments', () => {
  it('list, show, add and remove with their operands and options', () => {
    assert.deepEqual(parse(['list']), {
      command: 'template',
      action: 'list',
      json: false,
      client: { server: undefined, token: undefined, dataDir: undefined },
    });
    const show = parse(['show', 'static-site', '--version', '1.0.0', '--json']);
    assert.equal(show.action, 'show');
    assert.deepEqual(
      [show.action === 'show' && show.name, show.action === 'show' && show.version, show.json],
      ['static-site', '1.0.0', true],
    );
    const add = parse(['add', 'site.json', '--server', 'http://kiln:7070']);
    assert.deepEqual(add.action === 'add' && [add.file, add.client.server], [
      'site.json',
      'http://kiln:7070',
    ]);
    const remove = parse(['remove', 'site']);
    assert.deepEqual(remove.action === 'remove' && [remove.name, remove.version], ['site', undefined]);
    const removeOne = parse(['remove', 'site', '--version=2']);
    assert.deepEqual(removeOne.action === 'remove' && removeOne.version, '2');
  });

  it('--help gives the template usage', () => {
    assert.deepEqual(parseCommandLine(['template', '--help']), { command: 'help', topic: 'template' });
    assert.match(usageText('template'), /kiln template SUBCOMMAND/);
    assert.match(usageText(undefined), /template {2}build templates/);
  });

  it('usage errors name what is wrong', () => {
    rejects([], 'KILN_ERR_VALIDATION', 'needs a subcommand: list, show, add or remove');
    rejects(['publish'], 'KILN_ERR_VALIDATION', "unknown subcommand 'kiln template publish'");
    rejects(['show'], 'KILN_ERR_VALIDATION', "'kiln template show' needs NAME");
    rejects(['add'], 'KILN_ERR_VALIDATION', 'needs FILE.json');
    rejects(['remove', 'a', 'b'], 'KILN_ERR_VALIDATION', "unexpected argument 'b'");
    rejects(['list', '--version', '1'], 'KILN_ERR_VALIDATION', 'does not take --version');
    rejects(['add', 'x.json', '--version', '1'], 'KILN_ERR_VALIDATION', 'does not take --version');
    rejects(['show', 'x', '--version', ''], 'KILN_ERR_VALIDATION', "'--version' must not be empty");
    rejects(['show', 'x', '--version'], 'KILN_ERR_VALIDATION', "option '--version' needs a value");
    rejects(['list', '--set', 'a=b'], 'KILN_ERR_UNKNOWN_OPTION', "unknown option '--set'");
  });

  it('template parameter and definition errors are input errors (exit code 2)', () => {
    assert.equal(exitCodeFor(new KilnError('KILN_ERR_TEMPLATE_PARAM', 'x')), 2);
    assert.equal(exitCodeFor(new KilnError('KILN_ERR_TEMPLATE_INVALID', 'x')), 2);
  });
});

describe('kiln template add: reading the definition file', () => {
  it('inlines expressionFile relative to the JSON file', (t) => {
    const dir = join(tempDir(t), 'tpl');
    mkdirSync(join(dir, 'nix'), { recursive: true });
    writeFileSync(join(dir, 'nix', 'site.nix'), '{ title }: title\n');
    writeFileSync(
      join(dir, 'site.json'),
      JSON.stringify({ name: 'site', version: '1', description: 'd', expressionFile: 'nix/site.nix' }),
    );
    assert.deepEqual(readDefinitionFile(join(dir, 'site.json')), {
      name: 'site',
      version: '1',
      description: 'd',
      expression: '{ title }: title\n',
    });
  });

  it('reports a missing file, a missing expression file and bad JSON', (t) => {
    const dir = tempDir(t);
    assert.throws(
      () => readDefinitionFile(join(dir, 'none.json')),
      /KILN_ERR|cannot read .*none\.json: ENOENT/,
    );
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ expressionFile: 'gone.nix' }));
    assert.throws(
      () => readDefinitionFile(join(dir, 'a.json')),
      (err: unknown) =>
        err instanceof KilnError && err.code === 'KILN_ERR_FILE_NOT_FOUND' && /gone\.nix/.test(err.message),
    );
    writeFileSync(join(dir, 'b.json'), '{ nope');
    assert.throws(
      () => readDefinitionFile(join(dir, 'b.json')),
      (err: unknown) => err instanceof KilnError && err.code === 'KILN_ERR_TEMPLATE_INVALID',
    );
  });
});

describe('kiln template output', () => {
  it('show lists parameters with type, default or required, and rules', () => {
    const service = builtinTemplates().find((t) => t.name === 'shell-service')!;
    const lines = templateLines(service);
    assert.equal(lines[0], 'shell-service 1.0.0 (built-in)');
    assert.ok(
      lines.some((l) => /^ {2}name: string, required, pattern \/\[a-z\]/.test(l)),
      lines.join('\n'),
    );
    assert.ok(lines.includes('  port: integer, default 8080, min 1, max 65535  TCP port.'), lines.join('\n'));
    assert.ok(lines.includes('  LOG_LEVEL=info'));
  });

  it('list shows name, version, origin and description, with all versions when several', () => {
    const parsed = parseTemplateDefinition({ name: 'x', version: '2', description: 'an x', expression: 'e' });
    assert.equal(
      summaryLine({ ...parsed, versions: ['1', '2'], builtin: false }),
      'x\t2\tadded\tan x (versions 1, 2)',
    );
  });
});
