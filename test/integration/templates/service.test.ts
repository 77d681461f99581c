import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { KilnError } from '../../../src/errors/index.js';
import { openSqliteStore } from '../../../src/persistence/index.js';
import { TemplateService } from '../../../src/templates/index.js';
import { tempDir } from '../../helpers/tmp.js';

async function service(t: TestContext, checkExpression?: (e: string) => Promise<void>) {
  const store = openSqliteStore(join(tempDir(t), 'kiln.db'));
  await store.migrate();
  t.after(() => store.close());
  let now = 1000;
  return new TemplateService({ repo: store.templates, clock: () => (now += 1), checkExpression });
}

function definition(version: string, overrides: Record<string, unknown> = {}) {
  return {
    name: 'hello',
    version,
    description: `hello ${version}`,
    parameters: [{ name: 'who', type: 'string', default: 'world' }],
    env: { GREETING: 'hi' },
    expression: `{ who }: "${version}: hello " + who`,
    ...overrides,
  };
}

async function rejectsWith(promise: Promise<unknown>, code: string, mention: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof KilnError);
    assert.equal(err.code, code);
    assert.ok(err.message.includes(mention), err.message);
    return true;
  });
}

describe('TemplateService on SQLite', () => {
  it('lists the built-ins before anything is added', async (t) => {
    const templates = await service(t);
    const list = await templates.list();
    assert.deepEqual(
      list.map((s) => [s.name, s.builtin]),
      [
        ['static-site', true],
        ['shell-service', true],
        ['multi-output', true],
      ],
    );
  });

  it('add, show (newest or a given version), list and render', async (t) => {
    const templates = await service(t);
    const added = await templates.add(definition('1.0.0'));
    assert.equal(added.createdAt, 1001);
    await templates.add(definition('1.1.0'));
    assert.equal((await templates.show('hello')).version, '1.1.0');
    assert.equal((await templates.show('hello', '1.0.0')).description, 'hello 1.0.0');
    const summary = (await templates.list()).find((s) => s.name === 'hello');
    assert.deepEqual(summary && { ...summary, parameters: undefined }, {
      name: 'hello',
      version: '1.1.0',
      versions: ['1.0.0', '1.1.0'],
      description: 'hello 1.1.0',
      builtin: false,
      parameters: undefined,
    });
    const rendered = await templates.render('hello', { who: 'kiln' }, { env: { EXTRA: '1' } });
    assert.deepEqual(rendered.template, { name: 'hello', version: '1.1.0', builtin: false });
    assert.deepEqual(rendered.env, { GREETING: 'hi', EXTRA: '1' });
    assert.deepEqual(rendered.values, { who: 'kiln' });
    assert.match(rendered.expression, /\{ who = "kiln"; \}/);
    const old = await templates.render('hello', {}, { version: '1.0.0' });
    assert.match(old.expression, /"1\.0\.0: hello "/);
  });

  it('a new version must be higher than the stored ones; built-in names are taken', async (t) => {
    const templates = await service(t);
    await templates.add(definition('1.2.0'));
    await rejectsWith(templates.add(definition('1.2.0')), 'KILN_ERR_CONFLICT', 'already has version 1.2.0');
    await rejectsWith(templates.add(definition('1.1.9')), 'KILN_ERR_CONFLICT', 'add a higher version');
    await templates.add(definition('1.10.0'));
    await rejectsWith(
      templates.add(definition('1.0.0', { name: 'static-site' })),
      'KILN_ERR_CONFLICT',
      'static-site is a built-in template',
    );
  });

  it('invalid definitions are rejected and nothing is stored', async (t) => {
    const templates = await service(t);
    await rejectsWith(
      templates.add({ ...definition('1'), version: 'one' }),
      'KILN_ERR_TEMPLATE_INVALID',
      'version',
    );
    assert.equal((await templates.list()).length, 3);
  });

  it('the expression check runs before storing', async (t) => {
    const templates = await service(t, (expression) =>
      expression.includes('broken')
        ? Promise.reject(new KilnError('KILN_ERR_EXPR_PARSE', 'syntax error'))
        : Promise.resolve(),
    );
    await rejectsWith(
      templates.add(definition('1', { expression: '{ who }: broken (' })),
      'KILN_ERR_EXPR_PARSE',
      'syntax error',
    );
    await rejectsWith(templates.show('hello'), 'KILN_ERR_NOT_FOUND', 'no template named hello');
  });

  it('remove one version or all; built-ins stay; unknown names are not found', async (t) => {
    const templates = await service(t);
    for (const version of ['1', '2', '3']) await templates.add(definition(version));
    assert.deepEqual(await templates.remove('hello', '3'), { name: 'hello', removed: 1 });
    assert.equal((await templates.show('hello')).version, '2');
    await rejectsWith(templates.show('hello', '3'), 'KILN_ERR_NOT_FOUND', 'has no version 3');
    assert.deepEqual(await templates.remove('hello'), { name: 'hello', removed: 2 });
    await rejectsWith(templates.remove('hello'), 'KILN_ERR_NOT_FOUND', 'no template named hello');
    await rejectsWith(templates.remove('shell-service'), 'KILN_ERR_CONFLICT', 'cannot be removed');
  });

  it('built-ins: show, a wrong version, and render errors for bad parameters', async (t) => {
    const templates = await service(t);
    assert.equal((await templates.show('shell-service', '1.0.0')).builtin, true);
    await rejectsWith(
      templates.show('shell-service', '2.0.0'),
      'KILN_ERR_NOT_FOUND',
      'has only version 1.0.0',
    );
    await rejectsWith(
      templates.render('shell-service', { name: 'svc', prot: '80' }),
      'KILN_ERR_TEMPLATE_PARAM',
      'known: name, port, message',
    );
    await rejectsWith(
      templates.render('shell-service', { name: 'svc', port: 'http' }),
      'KILN_ERR_TEMPLATE_PARAM',
      "parameter 'port' is an integer",
    );
    await rejectsWith(templates.render('nope', {}), 'KILN_ERR_NOT_FOUND', 'no template named nope');
  });
});
