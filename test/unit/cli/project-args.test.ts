import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ProjectView } from '../../../src/api/index.js';
import { runCli } from '../../../src/cli/index.js';
import { parseCommandLine, type Plan } from '../../../src/cli/args/index.js';
import type { ProjectSettings } from '../../../src/cli/args/project.js';
import {
  generatedSecretLines,
  projectLines,
  projectTable,
  settingsBody,
} from '../../../src/cli/commands/project.js';
import { runJson, runSummaryLines } from '../../../src/cli/commands/project-run.js';
import { usageText } from '../../../src/cli/usage.js';
import { KilnError } from '../../../src/errors/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { buildView, collector, fakeServer, sendJson, sseEvent, startSse, succeeded } from './fake-server.js';

type ProjectPlan = Extract<Plan, { command: 'project' }>;
type SettingsPlan = Extract<ProjectPlan, { action: 'add' | 'edit' }>;
type BuildPlan = Extract<ProjectPlan, { action: 'build' }>;

function parse(argv: string[]): ProjectPlan {
  const plan = parseCommandLine(['project', ...argv]);
  assert.equal(plan.command, 'project');
  return plan;
}

function settingsOf(argv: string[]): ProjectSettings {
  const plan = parse(argv) as SettingsPlan;
  assert.ok(plan.action === 'add' || plan.action === 'edit');
  return plan.settings;
}

function rejects(argv: string[], code: string, mention: string): void {
  assert.throws(
    () => parseCommandLine(['project', ...argv]),
    (err: unknown) => err instanceof KilnError && err.code === code && err.message.includes(mention),
    `${argv.join(' ')} should fail with ${code} mentioning ${mention}`,
  );
}

const NOTHING: ProjectSettings = {
  repoUrl: undefined,
  branches: undefined,
  tags: undefined,
  build: undefined,
  systems: undefined,
  pushCache: undefined,
  imageRepo: undefined,
  deployHook: undefined,
  concurrency: undefined,
  notifyUrl: undefined,
  commitStatus: undefined,
  timeoutSeconds: undefined,
  tokenFile: undefined,
  sshKeyFile: undefined,
  webhookSecretFile: undefined,
  notifySecretFile: undefined,
  statusTokenFile: undefined,
  unset: [],
};

const REPO = ['--repo', 'https://git.example/acme/app.git'];
const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('kiln project arguments', () => {
  it('add takes every setting; secrets only as files', () => {
    const plan = parse([
      'add',
      'app',
      ...REPO,
      '--branch',
      'main',
      '--branch',
      'release/*',
      '--branch',
      'main',
      '--tag',
      'v*',
      '--attr',
      'hello',
      '--system',
      'x86_64-linux',
      '--system',
      'i686-linux',
      '--push',
      'main-cache',
      '--image',
      'registry.example:5000/acme/app',
      '--deploy-hook',
      'https://deploy.example/hook',
      '--concurrency-group',
      '{project}-{ref}',
      '--cancel-in-progress',
      '--notify-url',
      'https://chat.example/kiln',
      '--notify-secret-file',
      'notify.txt',
      '--status-forge',
      'gitea',
      '--status-api',
      'https://gitea.example/api/v1',
      '--status-token-file',
      'status.txt',
      '--git-token-file',
      'token.txt',
      '--webhook-secret-file',
      'hook.txt',
      '--timeout',
      '600',
      '--json',
      '--server',
      'http://kiln:7070',
    ]);
    assert.deepEqual(plan, {
      command: 'project',
      client: { server: 'http://kiln:7070', token: undefined, dataDir: undefined },
      json: true,
      action: 'add',
      name: 'app',
      settings: {
        repoUrl: 'https://git.example/acme/app.git',
        branches: ['main', 'release/*'],
        tags: ['v*'],
        build: { kind: 'attrs', attrs: ['hello'] },
        systems: ['x86_64-linux', 'i686-linux'],
        pushCache: 'main-cache',
        imageRepo: 'registry.example:5000/acme/app',
        deployHook: 'https://deploy.example/hook',
        concurrency: { group: '{project}-{ref}', mode: 'replace', cancelInProgress: true },
        notifyUrl: 'https://chat.example/kiln',
        commitStatus: { forge: 'gitea', apiUrl: 'https://gitea.example/api/v1' },
        timeoutSeconds: 600,
        tokenFile: 'token.txt',
        sshKeyFile: undefined,
        webhookSecretFile: 'hook.txt',
        notifySecretFile: 'notify.txt',
        statusTokenFile: 'status.txt',
        unset: [],
      },
    });
  });

  it('add with only a repository leaves every other setting to the server', () => {
    assert.deepEqual(settingsOf(['add', 'app', ...REPO]), {
      ...NOTHING,
      repoUrl: 'https://git.example/acme/app.git',
    });
  });

  it('what to build: flake outputs (listed or repeated), attributes, or a template with values', () => {
    assert.deepEqual(settingsOf(['add', 'a', ...REPO, '--outputs', 'packages, checks']).build, {
      kind: 'flake',
      outputs: ['packages', 'checks'],
    });
    assert.deepEqual(
      settingsOf(['add', 'a', ...REPO, '--outputs', 'devShells', '--outputs', 'packages,devShells']).build,
      { kind: 'flake', outputs: ['devShells', 'packages'] },
    );
    assert.deepEqual(settingsOf(['add', 'a', ...REPO, '-A', 'x', '--attr', 'checks.y', '-A', 'x']).build, {
      kind: 'attrs',
      attrs: ['x', 'checks.y'],
    });
    assert.deepEqual(
      settingsOf(['add', 'a', ...REPO, '--template', 'go', '--set', 'src={url}', '--set', 'flags=a=b']).build,
      { kind: 'template', name: 'go', values: { src: '{url}', flags: 'a=b' } },
    );
  });

  it('concurrency: GitHub Actions semantics, and edit can switch each part back', () => {
    assert.deepEqual(settingsOf(['add', 'a', ...REPO, '--queue']).concurrency, {
      mode: 'queue',
      cancelInProgress: false,
    });
    assert.deepEqual(settingsOf(['add', 'a', ...REPO, '--concurrency-group', 'deploy']).concurrency, {
      group: 'deploy',
    });
    assert.deepEqual(settingsOf(['edit', 'a', '--no-cancel-in-progress']).concurrency, {
      cancelInProgress: false,
    });
    assert.deepEqual(settingsOf(['edit', 'a', '--replace']).concurrency, { mode: 'replace' });
    rejects(
      ['add', 'a', ...REPO, '--queue', '--cancel-in-progress'],
      'KILN_ERR_VALIDATION',
      '--queue keeps every run',
    );
    rejects(['edit', 'a', '--queue', '--replace'], 'KILN_ERR_VALIDATION', 'either --queue or --replace');
    rejects(
      ['edit', 'a', '--cancel-in-progress', '--no-cancel-in-progress'],
      'KILN_ERR_VALIDATION',
      'either --cancel-in-progress or --no-cancel-in-progress',
    );
  });

  it('edit sends only what is given, and --unset removes settings and secrets', () => {
    assert.deepEqual(settingsOf(['edit', 'app', '--branch', 'main']), { ...NOTHING, branches: ['main'] });
    assert.deepEqual(settingsOf(['edit', 'app', '--unset', 'push,image', '--unset', 'git-token']).unset, [
      'push',
      'image',
      'git-token',
    ]);
    rejects(['edit', 'app'], 'KILN_ERR_VALIDATION', 'at least one setting');
    rejects(
      ['edit', 'app', '--push', 'c', '--unset', 'push'],
      'KILN_ERR_VALIDATION',
      'either --push or --unset push',
    );
    rejects(['edit', 'app', '--unset', 'repo'], 'KILN_ERR_VALIDATION', "'--unset' takes push, image");
    rejects(['add', 'app', ...REPO, '--unset', 'push'], 'KILN_ERR_VALIDATION', 'does not take --unset');
  });

  it('refuses settings that contradict each other or miss their partner', () => {
    const add = (...more: string[]): string[] => ['add', 'app', ...REPO, ...more];
    rejects(['add', 'app'], 'KILN_ERR_VALIDATION', 'needs --repo URL');
    rejects(add('--outputs', 'packages', '--attr', 'x'), 'KILN_ERR_VALIDATION', 'not --outputs and --attr');
    rejects(add('--attr', 'x', '--template', 't'), 'KILN_ERR_VALIDATION', 'not --attr and --template');
    rejects(add('--set', 'k=v'), 'KILN_ERR_VALIDATION', "'--set' goes with --template");
    rejects(add('--template', 't', '--set', 'novalue'), 'KILN_ERR_VALIDATION', 'KEY=VALUE');
    rejects(add('--outputs', 'packages,apps'), 'KILN_ERR_VALIDATION', 'got "apps"');
    rejects(add('--git-token-file', 't', '--ssh-key-file', 'k'), 'KILN_ERR_VALIDATION', 'not both');
    rejects(add('--status-forge', 'github'), 'KILN_ERR_VALIDATION', '--status-api URL');
    rejects(add('--status-api', 'https://api.github.com'), 'KILN_ERR_VALIDATION', '--status-forge');
    rejects(
      add('--status-forge', 'gitlab', '--status-api', 'https://x'),
      'KILN_ERR_VALIDATION',
      'github or gitea',
    );
    rejects(
      add('--status-forge', 'github', '--status-api', 'api.github.com'),
      'KILN_ERR_VALIDATION',
      'http(s) URL',
    );
    rejects(add('--status-token-file', 's'), 'KILN_ERR_VALIDATION', 'goes with --status-forge');
    rejects(add('--notify-secret-file', 's'), 'KILN_ERR_VALIDATION', 'goes with --notify-url');
    rejects(add('--deploy-hook', 'https://d'), 'KILN_ERR_VALIDATION', 'goes with --image');
    rejects(add('--image', 'registry.example/app:latest'), 'KILN_ERR_VALIDATION', 'without a tag');
    rejects(add('--image', 'app'), 'KILN_ERR_VALIDATION', 'REGISTRY/REPO');
    rejects(add('--system', 'x86_64'), 'KILN_ERR_VALIDATION', 'like x86_64-linux');
    rejects(add('--timeout', '0'), 'KILN_ERR_VALIDATION', "'--timeout' must be between 1");
    rejects(add('--timeout', '10m'), 'KILN_ERR_VALIDATION', 'whole number');
    rejects(add('--branch', ' '), 'KILN_ERR_VALIDATION', "'--branch' must not be empty");
    rejects(add('--git-token', 'secret'), 'KILN_ERR_UNKNOWN_OPTION', '--git-token');
    rejects(['add', 'App', ...REPO], 'KILN_ERR_VALIDATION', 'lower-case');
    rejects(['add', 'a..b', ...REPO], 'KILN_ERR_VALIDATION', 'project name');
  });

  it('list, show, remove and build', () => {
    assert.equal(parse(['list', '--json']).json, true);
    assert.deepEqual((parse(['show', 'app']) as { name: string }).name, 'app');
    assert.equal(parse(['remove', 'app']).action, 'remove');
    const build = parse([
      'build',
      'app',
      '--branch',
      'main',
      '--commit',
      SHA.toUpperCase(),
      '--wait',
      '--json',
    ]);
    assert.deepEqual(build, {
      command: 'project',
      client: { server: undefined, token: undefined, dataDir: undefined },
      json: true,
      action: 'build',
      name: 'app',
      ref: { branch: 'main' },
      commit: SHA,
      mode: 'wait',
    });
    const tagged = parse(['build', 'app', '--tag', 'v1.0', '--follow']) as BuildPlan;
    assert.deepEqual([tagged.ref, tagged.mode, tagged.commit], [{ tag: 'v1.0' }, 'follow', undefined]);
    const plain = parse(['build', 'app']) as BuildPlan;
    assert.deepEqual([plain.ref, plain.mode], [undefined, 'submit']);
  });

  it('refuses bad operands, options of other subcommands and unknown subcommands', () => {
    rejects(
      ['build', 'app', '--branch', 'a', '--tag', 'b'],
      'KILN_ERR_VALIDATION',
      'one --branch or one --tag',
    );
    rejects(['build', 'app', '--branch', 'a', '--branch', 'b'], 'KILN_ERR_VALIDATION', 'one --branch');
    rejects(['build', 'app', '--commit', 'abc123'], 'KILN_ERR_VALIDATION', 'full commit SHA');
    rejects(['build', 'app', '--wait', '--follow'], 'KILN_ERR_VALIDATION', 'either --wait or --follow');
    rejects(
      ['build', 'app', '--push', 'c'],
      'KILN_ERR_VALIDATION',
      "'kiln project build' does not take --push",
    );
    rejects(['add', 'app', ...REPO, '--wait'], 'KILN_ERR_VALIDATION', 'does not take --wait');
    rejects(['show', 'app', '--repo', 'x'], 'KILN_ERR_VALIDATION', 'does not take --repo');
    rejects(['list', 'extra'], 'KILN_ERR_VALIDATION', "unexpected argument 'extra'");
    rejects(['show'], 'KILN_ERR_VALIDATION', 'needs NAME');
    rejects(['remove', 'a', 'b'], 'KILN_ERR_VALIDATION', "unexpected argument 'b'");
    rejects(['frobnicate'], 'KILN_ERR_VALIDATION', "unknown subcommand 'kiln project frobnicate'");
    rejects([], 'KILN_ERR_VALIDATION', 'needs a subcommand');
    assert.deepEqual(parseCommandLine(['project', '--help']), { command: 'help', topic: 'project' });
  });

  it('the usage names every subcommand, option and the webhook path', () => {
    const text = usageText('project');
    for (const word of [
      'project add NAME --repo URL',
      'project edit NAME',
      'project list',
      'project show NAME',
      'project remove NAME',
      'project build NAME',
      '/api/v1/hooks/projects/NAME',
      'application/json',
      '--outputs',
      '--cancel-in-progress',
      '--queue',
      '--status-token-file',
      '--webhook-secret-file',
      '--unset',
    ]) {
      assert.ok(text.includes(word), word);
    }
    assert.match(usageText(undefined), /^ {2}project /m);
  });
});

describe('kiln project request bodies', () => {
  it('reads secrets from files (tokens trimmed, an SSH key byte for byte) and sends only what was given', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'token.txt'), '  ghp_secret\n');
    writeFileSync(join(dir, 'hook.txt'), 'hook-secret\n');
    writeFileSync(join(dir, 'notify.txt'), 'notify-secret');
    writeFileSync(join(dir, 'status.txt'), 'status-token\n');
    writeFileSync(
      join(dir, 'id_ed25519'),
      '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n',
    );
    const add = settingsOf([
      'add',
      'app',
      ...REPO,
      '--outputs',
      'packages',
      '--queue',
      '--notify-url',
      'https://n.example/x',
      '--notify-secret-file',
      'notify.txt',
      '--status-forge',
      'github',
      '--status-api',
      'https://api.github.com',
      '--status-token-file',
      join(dir, 'status.txt'),
      '--git-token-file',
      'token.txt',
      '--webhook-secret-file',
      'hook.txt',
    ]);
    assert.deepEqual(settingsBody(add, dir), {
      repoUrl: 'https://git.example/acme/app.git',
      build: { kind: 'flake', outputs: ['packages'] },
      concurrency: { mode: 'queue', cancelInProgress: false },
      notify: {
        url: 'https://n.example/x',
        commitStatus: { forge: 'github', apiUrl: 'https://api.github.com' },
      },
      credentials: { token: 'ghp_secret' },
      webhookSecret: 'hook-secret',
      notifySecret: 'notify-secret',
      statusToken: 'status-token',
    });
    const ssh = settingsBody(settingsOf(['edit', 'app', '--ssh-key-file', 'id_ed25519']), dir);
    assert.deepEqual(ssh, {
      credentials: {
        sshPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n',
      },
    });
  });

  it('--unset becomes null for settings and "" for secrets', () => {
    const settings = settingsOf([
      'edit',
      'app',
      '--unset',
      'push,image,deploy-hook,notify-url,commit-status,timeout',
      '--unset',
      'git-token,ssh-key,webhook-secret,notify-secret,status-token',
    ]);
    assert.deepEqual(settingsBody(settings, '/nonexistent'), {
      pushCache: null,
      imageRepo: null,
      deployHook: null,
      notify: { url: null, commitStatus: null },
      timeoutSeconds: null,
      credentials: { token: '', sshPrivateKey: '' },
      webhookSecret: '',
      notifySecret: '',
      statusToken: '',
    });
  });

  it('a missing or empty secret file is a clear input error', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'empty.txt'), '\n');
    assert.throws(
      () => settingsBody(settingsOf(['edit', 'app', '--git-token-file', 'nope.txt']), dir),
      (err: unknown) =>
        err instanceof KilnError &&
        err.code === 'KILN_ERR_FILE_NOT_FOUND' &&
        err.message.includes('nope.txt'),
    );
    assert.throws(
      () => settingsBody(settingsOf(['edit', 'app', '--webhook-secret-file', 'empty.txt']), dir),
      (err: unknown) =>
        err instanceof KilnError && err.code === 'KILN_ERR_VALIDATION' && err.message.includes('is empty'),
    );
  });
});

function projectView(overrides: Partial<ProjectView> = {}): ProjectView {
  return {
    name: 'app',
    repoUrl: 'https://git.example/acme/app.git',
    branches: ['*'],
    tags: [],
    build: { kind: 'flake', outputs: ['packages', 'checks', 'devShells'] },
    systems: ['x86_64-linux'],
    pushCache: null,
    imageRepo: null,
    deployHook: null,
    concurrency: { group: '{project}/{branch}', mode: 'replace', cancelInProgress: false },
    notify: { url: null, commitStatus: null },
    timeoutSeconds: null,
    hasToken: false,
    hasSshKey: false,
    hasWebhookSecret: true,
    hasNotifySecret: false,
    hasStatusToken: false,
    webhookPath: '/api/v1/hooks/projects/app',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-02T00:00:00.000Z',
    ...overrides,
  };
}

describe('kiln project output', () => {
  it('show: every setting, secrets only as set or none, the full webhook URL and how to use it', () => {
    const lines = projectLines(projectView({ hasToken: true, timeoutSeconds: 600 }), 'http://kiln:7070');
    const text = lines.join('\n');
    assert.ok(lines.includes('build:          flake packages,checks,devShells'), text);
    assert.ok(lines.includes('git token:      set'), text);
    assert.ok(lines.includes('ssh key:        none'), text);
    assert.ok(lines.includes('webhook secret: set'), text);
    assert.ok(lines.includes('timeout:        600s'), text);
    assert.ok(lines.includes('webhook:        http://kiln:7070/api/v1/hooks/projects/app'), text);
    assert.match(text, /application\/json/);
    assert.match(text, /push events/);
    assert.match(text, /group \{project\}\/\{branch\}, replace: a newer run supersedes the pending one$/m);
    const off = projectLines(projectView({ hasWebhookSecret: false }), 'http://kiln:7070').join('\n');
    assert.match(off, /disabled: no webhook secret/);
    assert.doesNotMatch(off, /application\/json/);
    const queued = projectLines(
      projectView({ concurrency: { group: 'g', mode: 'queue', cancelInProgress: false } }),
      'x',
    ).join('\n');
    assert.match(queued, /group g, queue: every run waits its turn/);
  });

  it('list: a table with name, repository, build, systems, branches and concurrency', () => {
    const table = projectTable([
      projectView(),
      projectView({
        name: 'web',
        build: { kind: 'template', name: 'node', values: { src: '{url}' } },
        branches: ['main'],
        tags: ['v*'],
        systems: ['x86_64-linux', 'i686-linux'],
        concurrency: { group: 'web', mode: 'replace', cancelInProgress: true },
      }),
    ]).split('\n');
    assert.match(table[0] ?? '', /^NAME +REPO +BUILD +SYSTEMS +BRANCHES +CONCURRENCY$/);
    assert.match(
      table[1] ?? '',
      /^app +https:\/\/git\.example\/acme\/app\.git +flake packages,checks,devShells +x86_64-linux +\* +\{project\}\/\{branch\} \(replace\)$/,
    );
    assert.match(
      table[2] ?? '',
      /template node \(src=\{url\}\) +x86_64-linux,i686-linux +main,tag:v\* +web \(replace, cancel in progress\)$/,
    );
  });

  it('a generated secret is printed once, with where it goes', () => {
    const lines = generatedSecretLines({
      project: projectView(),
      webhookSecret: 'abc123',
      notifySecret: 'def456',
    });
    assert.ok(lines.includes('webhook secret: abc123'));
    assert.ok(lines.includes('notify secret: def456'));
    assert.match(lines.join('\n'), /shown only now: paste it as the secret of the forge's webhook/);
    assert.deepEqual(generatedSecretLines({ project: projectView() }), []);
  });

  it('a run summary tallies the matrix children; its JSON is always a group', () => {
    const parent = succeeded('p', {
      groupId: 'p',
      source: { kind: 'git', url: 'u', matrix: { sets: [], attrs: [], systems: [] } },
    });
    const children = [
      succeeded('c1', { groupId: 'p', attrPath: 'packages.x86_64-linux.hello', cached: true }),
      buildView({
        id: 'c2',
        groupId: 'p',
        status: 'failed',
        attrPath: 'packages.x86_64-linux.broken',
        error: 'exit 3\n\n> no',
      }),
      buildView({ id: 'c3', groupId: 'p', status: 'dependency_failed', attrPath: 'checks.x86_64-linux.t' }),
    ];
    const text = runSummaryLines([parent], children).join('\n');
    assert.match(text, /^ {2}packages\.x86_64-linux\.hello {3}succeeded \(cached\) 2\.5s$/m);
    assert.match(text, /^ {2}checks\.x86_64-linux\.t {9}dependency failed$/m);
    assert.match(text, /^ {4}error: exit 3\n\n {6}> no$/m);
    assert.match(text, /^run failed: 1 succeeded \(1 cached\), 1 failed, 1 dependency failed$/m);
    const json = runJson([parent, ...children]);
    assert.deepEqual([json.groupId, json.status, json.builds.length], ['p', 'failed', 4]);
    assert.equal(runJson([succeeded('solo')]).groupId, 'solo');
  });
});

describe('kiln project build --wait against a server', () => {
  it('follows the evaluation, then every child of its matrix, and exits 1 when a child failed', async (t) => {
    const matrix = { sets: ['packages'], attrs: [], systems: ['x86_64-linux'] };
    const parent = buildView({ id: 'p', groupId: 'p', source: { kind: 'git', url: 'u', matrix } });
    const finals: Record<string, ReturnType<typeof buildView>> = {
      p: succeeded('p', { groupId: 'p', source: parent.source, outputs: [] }),
      c1: succeeded('c1', { groupId: 'p', attrPath: 'packages.x86_64-linux.hello' }),
      c2: buildView({
        id: 'c2',
        groupId: 'p',
        status: 'failed',
        attrPath: 'packages.x86_64-linux.broken',
        error: 'builder failed with exit code 3',
      }),
    };
    const { url, seen } = await fakeServer(t, (req, res) => {
      if (req.method === 'POST' && req.path === '/api/v1/projects/app/builds') {
        sendJson(res, 201, { builds: [parent] });
        return;
      }
      if (req.method === 'GET' && req.path === '/api/v1/builds' && req.query.get('groupId') === 'p') {
        // Newest first, as the API lists.
        sendJson(res, 200, { builds: [finals['c2'], finals['c1'], finals['p']], nextBefore: null });
        return;
      }
      const match = /^\/api\/v1\/builds\/([^/]+)\/log$/.exec(req.path);
      const final = finals[decodeURIComponent(match?.[1] ?? '')];
      if (final !== undefined) {
        startSse(res);
        res.end(sseEvent('end', final));
        return;
      }
      sendJson(res, 404, { error: { code: 'KILN_ERR_NOT_FOUND', message: req.path } });
    });
    const out = collector();
    const err = collector();
    const code = await runCli(['project', 'build', 'app', '--branch', 'main', '--wait', '--json'], {
      stdout: out.sink,
      stderr: err.sink,
      env: { KILN_SERVER: url, KILN_TOKEN: 't' },
      isTTY: false,
      onSignal: () => () => undefined,
    });
    assert.equal(code, 1, err.text());
    assert.deepEqual(seen.find((r) => r.method === 'POST')?.body, { branch: 'main' });
    const result = JSON.parse(out.text()) as { groupId: string; status: string; builds: { id: string }[] };
    assert.deepEqual([result.groupId, result.status], ['p', 'failed']);
    assert.deepEqual(
      result.builds.map((b) => b.id),
      ['p', 'c1', 'c2'],
    );
  });
});
