import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { builtinTemplates, renderTemplate, type Template } from '../../../src/templates/index.js';
import { tempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);
const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/tmp', NIX_PATH: '' };

function builtin(name: string): Template {
  const template = builtinTemplates().find((t) => t.name === name);
  assert.ok(template, `built-in ${name}`);
  return template;
}

/** Renders and builds with the real nix-instantiate and nix-store; returns output name → path. */
async function build(dir: string, expression: string): Promise<Record<string, string>> {
  const file = join(dir, `t-${Math.random().toString(36).slice(2)}.nix`);
  writeFileSync(file, expression);
  const drv = (await run('nix-instantiate', [file], { env })).stdout.trim();
  await run('nix-store', ['--realise', drv], { env, maxBuffer: 16 * 1024 * 1024 });
  const { stdout } = await run(
    'nix',
    ['--extra-experimental-features', 'nix-command', 'derivation', 'show', drv],
    {
      env,
    },
  ).catch(() => ({ stdout: '' }));
  if (stdout !== '') {
    const shown = JSON.parse(stdout) as Record<string, { outputs: Record<string, { path: string }> }>;
    const outputs = Object.values(shown)[0]?.outputs ?? {};
    return Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.path]));
  }
  // Nix 2.8 calls it `nix show-derivation`.
  const legacy = await run('nix', ['--extra-experimental-features', 'nix-command', 'show-derivation', drv], {
    env,
  });
  const shown = JSON.parse(legacy.stdout) as Record<string, { outputs: Record<string, { path: string }> }>;
  const outputs = Object.values(shown)[0]?.outputs ?? {};
  return Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.path]));
}

// A unique value per run so every build really runs instead of coming from the store.
const fresh = `run ${Date.now()} ${Math.random()}`;

describe('built-in templates build with the real Nix', () => {
  it('static-site: index.html with the escaped title and one page per entry', async (t) => {
    const rendered = renderTemplate(builtin('static-site'), { footer: fresh });
    const { out } = await build(tempDir(t), rendered.expression);
    assert.ok(out);
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    assert.match(index, /<title>My site<\/title>/);
    assert.match(index, /<a href="about.html">about<\/a>/);
    assert.match(index, /<a href="contact.html">contact<\/a>/);
    assert.match(readFileSync(join(out, 'about.html'), 'utf8'), /<h1>about<\/h1>/);
    assert.deepEqual(rendered.env, { SITE_LANG: 'en' });

    const custom = renderTemplate(builtin('static-site'), {
      title: `<script>alert("x")</script> & $HOME ${fresh}`,
      pages: 'home,blog',
    });
    const site = (await build(tempDir(t), custom.expression)).out!;
    const html = readFileSync(join(site, 'index.html'), 'utf8');
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; $HOME'), html);
    assert.ok(!html.includes('<script>'));
    assert.match(readFileSync(join(site, 'blog.html'), 'utf8'), /<h1>blog<\/h1>/);
  });

  it('shell-service: bin/NAME prints the message, port and log level', async (t) => {
    const template = builtin('shell-service');
    assert.throws(() => renderTemplate(template, {}), /needs --set name=/);
    const message = `it's "quoted" $(touch /tmp/kiln-pwned) \${x} ${fresh}`;
    const rendered = renderTemplate(template, { name: 'greeter', port: '9090', message });
    const { out } = await build(tempDir(t), rendered.expression);
    const { stdout } = await run(join(out!, 'bin', 'greeter'), [], { env });
    assert.equal(stdout, `${message} (port 9090, log level info)\n`);
    assert.deepEqual(rendered.env, { LOG_LEVEL: 'info' });
  });

  it('multi-output: out, doc and dev outputs with their files', async (t) => {
    const rendered = renderTemplate(builtin('multi-output'), { greeting: fresh });
    const outputs = await build(tempDir(t), rendered.expression);
    assert.deepEqual(Object.keys(outputs).sort(), ['dev', 'doc', 'out']);
    const { stdout } = await run(join(outputs['out']!, 'bin', 'demo'), [], { env });
    assert.equal(stdout, `${fresh}\n`);
    assert.match(readFileSync(join(outputs['doc']!, 'share/doc/demo/README'), 'utf8'), /^demo 1\.0\.0/);
    assert.match(readFileSync(join(outputs['dev']!, 'include/demo.h'), 'utf8'), /GREETING_FILE/);
    assert.match(readFileSync(join(outputs['dev']!, 'lib/pkgconfig/demo.pc'), 'utf8'), /Version: 1\.0\.0/);
  });

  it('every built-in renders with its defaults alone (except required parameters) and builds', async (t) => {
    const required: Record<string, Record<string, string>> = { 'shell-service': { name: 'svc' } };
    for (const template of builtinTemplates()) {
      const rendered = renderTemplate(template, required[template.name] ?? {});
      const outputs = await build(tempDir(t), rendered.expression);
      assert.ok(outputs['out'], `${template.name} has an out path`);
    }
  });
});
