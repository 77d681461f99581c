import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine, type Plan } from '../../../src/cli/args/index.js';
import { parseListen } from '../../../src/cli/args/serve.js';
import { KilnError } from '../../../src/errors/index.js';

/** Asserts that parsing fails with `code` and a message mentioning `mention`. */
function rejects(argv: string[], code: string, mention?: string): void {
  assert.throws(
    () => parseCommandLine(argv),
    (err: unknown) => {
      assert.ok(err instanceof KilnError, `expected a KilnError, got ${String(err)}`);
      assert.equal(err.code, code, err.message);
      if (mention !== undefined)
        assert.ok(err.message.includes(mention), `${err.message} should mention ${mention}`);
      return true;
    },
  );
}

function parse<C extends Plan['command']>(argv: string[], command: C): Extract<Plan, { command: C }> {
  const plan = parseCommandLine(argv);
  assert.equal(plan.command, command);
  return plan as Extract<Plan, { command: C }>;
}

void describe('top level', () => {
  void it('shows help for --help, help, help CMD, CMD --help, -h', () => {
    assert.deepEqual(parseCommandLine(['--help']), { command: 'help', topic: undefined });
    assert.deepEqual(parseCommandLine(['help']), { command: 'help', topic: undefined });
    assert.deepEqual(parseCommandLine(['help', 'build']), { command: 'help', topic: 'build' });
    for (const cmd of ['serve', 'build', 'status', 'logs', 'cancel', 'list', 'stats', 'cleanup']) {
      assert.deepEqual(parseCommandLine([cmd, '--help']), { command: 'help', topic: cmd });
      assert.deepEqual(parseCommandLine([cmd, '-h']), { command: 'help', topic: cmd });
    }
  });

  void it('treats no arguments as a usage error shown as help', () => {
    assert.deepEqual(parseCommandLine([]), { command: 'help', topic: undefined, asError: true });
  });

  void it('rejects unknown commands, options before the command and unknown help topics', () => {
    rejects(['frobnicate'], 'KILN_ERR_VALIDATION', 'frobnicate');
    rejects(['--server', 'x', 'list'], 'KILN_ERR_UNKNOWN_OPTION', '--server');
    rejects(['help', 'nope'], 'KILN_ERR_VALIDATION', 'nope');
    rejects(['help', 'build', 'extra'], 'KILN_ERR_VALIDATION', 'extra');
  });

  void it('knows --version', () => {
    assert.deepEqual(parseCommandLine(['--version']), { command: 'version' });
  });
});

void describe('kiln migrate', () => {
  void it('takes a data directory and a database URL, both optional', () => {
    assert.deepEqual(parse(['migrate'], 'migrate'), {
      command: 'migrate',
      dataDir: '.kiln',
      databaseUrl: undefined,
    });
    assert.deepEqual(parse(['migrate', '--data', '/d', '--database', 'postgres://h/db'], 'migrate'), {
      command: 'migrate',
      dataDir: '/d',
      databaseUrl: 'postgres://h/db',
    });
    rejects(['migrate', 'extra'], 'KILN_ERR_VALIDATION');
  });
});

void describe('kiln serve', () => {
  void it('parses data, listen and concurrency', () => {
    assert.deepEqual(
      parse(['serve', '--data', '/d', '--listen', '0.0.0.0:8080', '--concurrency', '4'], 'serve'),
      {
        command: 'serve',
        dataDir: '/d',
        host: '0.0.0.0',
        port: 8080,
        concurrency: 4,
        role: undefined,
        nix: {},
        databaseUrl: undefined,
      },
    );
  });

  void it('takes a PostgreSQL URL with --database', () => {
    const url = 'postgres://kiln@db:5432/kiln';
    assert.equal(parse(['serve', '--database', url], 'serve').databaseUrl, url);
  });

  void it('takes a role and refuses unknown ones', () => {
    for (const role of ['all', 'api', 'worker', 'cache'] as const) {
      assert.equal(parse(['serve', '--role', role], 'serve').role, role);
    }
    rejects(['serve', '--role', 'builder'], 'KILN_ERR_VALIDATION', '--role');
  });

  void it('has defaults', () => {
    const plan = parse(['serve'], 'serve');
    assert.equal(plan.dataDir, '.kiln');
    assert.equal(plan.host, '127.0.0.1');
    assert.equal(plan.port, 7070);
    assert.equal(plan.concurrency, undefined);
  });

  void it('parses listen forms', () => {
    assert.deepEqual(parseListen('[::1]:7070'), { host: '::1', port: 7070 });
    assert.deepEqual(parseListen(':0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListen('localhost:65535'), { host: 'localhost', port: 65535 });
  });

  void it('rejects bad values', () => {
    rejects(['serve', '--listen', '7070'], 'KILN_ERR_VALIDATION', '--listen');
    rejects(['serve', '--listen', 'host:70000'], 'KILN_ERR_VALIDATION', '--listen');
    rejects(['serve', '--listen', 'host:abc'], 'KILN_ERR_VALIDATION', '--listen');
    rejects(['serve', '--concurrency', '0'], 'KILN_ERR_VALIDATION', '--concurrency');
    rejects(['serve', '--concurrency', 'two'], 'KILN_ERR_VALIDATION', '--concurrency');
    rejects(['serve', '--port', '1'], 'KILN_ERR_UNKNOWN_OPTION', '--port');
    rejects(['serve', '--data'], 'KILN_ERR_VALIDATION', '--data');
    rejects(['serve', 'extra'], 'KILN_ERR_VALIDATION', 'extra');
  });
});

void describe('kiln build', () => {
  void it('parses every option', () => {
    const plan = parse(
      [
        'build',
        '--file',
        'hello.nix',
        '--env',
        'A=1',
        '--env',
        'B_2=x=y',
        '--env',
        'EMPTY=',
        '--timeout',
        '60',
        '--max-silent',
        '0',
        '--system',
        'x86_64-linux',
        '--system',
        'i686-linux',
        '--service',
        'web',
        '--label',
        'team=core',
        '--priority=-5',
        '--wait',
        '--json',
        '--server',
        'http://h:1',
        '--token',
        'tok',
      ],
      'build',
    );
    assert.deepEqual(plan, {
      command: 'build',
      client: { server: 'http://h:1', token: 'tok', dataDir: undefined },
      source: { kind: 'file', path: 'hello.nix' },
      env: { A: '1', B_2: 'x=y', EMPTY: '' },
      timeoutSeconds: 60,
      maxSilentSeconds: 0,
      systems: ['x86_64-linux', 'i686-linux'],
      serviceId: 'web',
      labels: { team: 'core' },
      priority: -5,
      push: undefined,
      image: undefined,
      imageConfig: undefined,
      deployHook: undefined,
      concurrency: undefined,
      mode: 'wait',
      json: true,
    });
  });

  void it('parses a concurrency group and its modes', () => {
    const plan = parse(['build', '--expr', 'x', '--group', 'Web/Main', '--cancel-in-progress'], 'build');
    assert.deepEqual(plan.command === 'build' && plan.concurrency, {
      group: 'Web/Main',
      cancelInProgress: true,
      queue: false,
    });
    const queued = parse(['build', '--expr', 'x', '--group', 'deploy', '--queue'], 'build');
    assert.deepEqual(queued.command === 'build' && queued.concurrency, {
      group: 'deploy',
      cancelInProgress: false,
      queue: true,
    });
    assert.throws(() => parse(['build', '--expr', 'x', '--queue'], 'build'), /'--queue' goes with --group/);
    assert.throws(
      () => parse(['build', '--expr', 'x', '--group', 'g', '--queue', '--cancel-in-progress'], 'build'),
      /either --queue or --cancel-in-progress/,
    );
  });

  void it('parses the image settings and the deploy hook, which go with --image', () => {
    const plan = parse(
      [
        'build',
        '--expr',
        'x',
        '--image',
        '127.0.0.1:5000/app:v1',
        '--entrypoint',
        '/bin/app',
        // A value that starts with a dash is written with = (parseArgs' rule).
        '--entrypoint=--serve',
        '--cmd=--port=8080',
        '--image-env',
        'MODE=prod',
        '--port',
        '8080',
        '--port',
        '53/udp',
        '--workdir',
        '/srv',
        '--user',
        '1000:1000',
        '--deploy-hook',
        'https://deploy.example/hook',
      ],
      'build',
    );
    assert.equal(plan.image, '127.0.0.1:5000/app:v1');
    assert.deepEqual(plan.imageConfig, {
      entrypoint: ['/bin/app', '--serve'],
      cmd: ['--port=8080'],
      env: ['MODE=prod'],
      exposedPorts: ['8080', '53/udp'],
      workingDir: '/srv',
      user: '1000:1000',
    });
    assert.equal(plan.deployHook, 'https://deploy.example/hook');
    rejects(['build', '--expr', 'x', '--entrypoint', '/bin/app'], 'KILN_ERR_VALIDATION', '--entrypoint');
    rejects(['build', '--expr', 'x', '--deploy-hook', 'https://d/h'], 'KILN_ERR_VALIDATION', '--deploy-hook');
  });

  void it('parses an expression with defaults', () => {
    const plan = parse(['build', '--expr', 'let x = 1; in x'], 'build');
    assert.deepEqual(plan.source, { kind: 'expr', expression: 'let x = 1; in x' });
    assert.equal(plan.mode, 'submit');
    assert.equal(plan.json, false);
    assert.deepEqual(plan.env, {});
    assert.deepEqual(plan.systems, []);
    assert.equal(plan.timeoutSeconds, undefined);
    assert.equal(parse(['build', '--expr', 'x', '--follow'], 'build').mode, 'follow');
  });

  void it('requires exactly one source', () => {
    rejects(['build'], 'KILN_ERR_VALIDATION', '--file');
    rejects(['build', '--file', 'a.nix', '--expr', 'x'], 'KILN_ERR_VALIDATION', 'not several');
    rejects(
      ['build', '--git', 'https://h/x.git', '--template', 't'],
      'KILN_ERR_VALIDATION',
      '--git or --template',
    );
    rejects(['build', '--expr', ''], 'KILN_ERR_VALIDATION', '--expr');
  });

  void it('rejects bad environment names with KILN_ERR_ENV_NAME', () => {
    rejects(['build', '--expr', 'x', '--env', '1A=b'], 'KILN_ERR_ENV_NAME', '1A');
    rejects(['build', '--expr', 'x', '--env', 'A-B=c'], 'KILN_ERR_ENV_NAME', 'A-B');
    rejects(['build', '--expr', 'x', '--env', '=c'], 'KILN_ERR_ENV_NAME');
    rejects(['build', '--expr', 'x', '--env', 'NOVALUE'], 'KILN_ERR_VALIDATION', '--env');
  });

  void it('rejects bad numbers, systems, labels and mode combinations', () => {
    rejects(['build', '--expr', 'x', '--timeout', '0'], 'KILN_ERR_VALIDATION', '--timeout');
    rejects(['build', '--expr', 'x', '--timeout', '1.5'], 'KILN_ERR_VALIDATION', '--timeout');
    rejects(['build', '--expr', 'x', '--timeout', 'soon'], 'KILN_ERR_VALIDATION', '--timeout');
    rejects(['build', '--expr', 'x', '--max-silent=-1'], 'KILN_ERR_VALIDATION', '--max-silent');
    rejects(['build', '--expr', 'x', '--priority', '101'], 'KILN_ERR_VALIDATION', '--priority');
    rejects(['build', '--expr', 'x', '--priority', '-5'], 'KILN_ERR_VALIDATION', '--priority');
    rejects(['build', '--expr', 'x', '--system', 'X86_64 linux'], 'KILN_ERR_VALIDATION', '--system');
    rejects(['build', '--expr', 'x', '--label', 'nokey'], 'KILN_ERR_VALIDATION', '--label');
    rejects(['build', '--expr', 'x', '--wait', '--follow'], 'KILN_ERR_VALIDATION', '--follow');
    rejects(['build', '--expr', 'x', '--timeout'], 'KILN_ERR_VALIDATION', '--timeout');
    rejects(['build', '--expr', 'x', '--wait=yes'], 'KILN_ERR_VALIDATION', '--wait');
    rejects(['build', '--expr', 'x', 'extra'], 'KILN_ERR_VALIDATION', 'extra');
    const nine = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].flatMap((s) => ['--system', `${s}-linux`]);
    rejects(['build', '--expr', 'x', ...nine], 'KILN_ERR_VALIDATION', '--system');
  });

  void it('rejects unknown options with KILN_ERR_UNKNOWN_OPTION', () => {
    rejects(['build', '--expr', 'x', '--bogus'], 'KILN_ERR_UNKNOWN_OPTION', '--bogus');
  });

  void it('parses Git sources with their ref, attribute and credential files', () => {
    const plan = parse(
      ['build', '--git', 'https://h/x.git', '--ref', 'main', '--attr', 'hello', '--git-token-file', 't.txt'],
      'build',
    );
    assert.deepEqual(plan.source, {
      kind: 'git',
      url: 'https://h/x.git',
      ref: 'main',
      attr: 'hello',
      submodules: false,
      tokenFile: 't.txt',
      sshKeyFile: undefined,
    });
    rejects(['build', '--expr', 'x', '--ref', 'main'], 'KILN_ERR_VALIDATION', 'goes with --git');
    rejects(['build', '--expr', 'x', '--attr', 'a'], 'KILN_ERR_VALIDATION', 'goes with --git');
    rejects(
      ['build', '--git', 'https://h/x.git', '--git-token-file', 'a', '--ssh-key-file', 'b'],
      'KILN_ERR_VALIDATION',
      'not both',
    );
  });

  void it('parses template sources with --set values', () => {
    const plan = parse(
      ['build', '--template', 'shell-service', '--set', 'name=web', '--set', 'port=81'],
      'build',
    );
    assert.deepEqual(plan.source, {
      kind: 'template',
      name: 'shell-service',
      version: undefined,
      values: { name: 'web', port: '81' },
    });
    rejects(['build', '--expr', 'x', '--set', 'a=b'], 'KILN_ERR_VALIDATION', 'goes with --template');
    rejects(['build', '--template', 't', '--set', 'novalue'], 'KILN_ERR_VALIDATION', '--set');
  });

  void it('validates the client flags', () => {
    rejects(['build', '--expr', 'x', '--server', 'ftp://x'], 'KILN_ERR_VALIDATION', '--server');
    rejects(['build', '--expr', 'x', '--server', 'not a url'], 'KILN_ERR_VALIDATION', '--server');
    rejects(['build', '--expr', 'x', '--token', ''], 'KILN_ERR_VALIDATION', '--token');
    const plan = parse(['build', '--expr', 'x', '--data', '/srv/kiln'], 'build');
    assert.deepEqual(plan.client, { server: undefined, token: undefined, dataDir: '/srv/kiln' });
  });
});

void describe('kiln status / logs / cancel', () => {
  void it('parse an id and their flags', () => {
    assert.deepEqual(parse(['status', 'b1', '--json'], 'status'), {
      command: 'status',
      client: { server: undefined, token: undefined, dataDir: undefined },
      id: 'b1',
      json: true,
    });
    assert.equal(parse(['logs', 'b1', '--follow'], 'logs').follow, true);
    assert.equal(parse(['logs', 'b1'], 'logs').follow, false);
    assert.equal(parse(['cancel', 'b1'], 'cancel').id, 'b1');
  });

  void it('need exactly one id', () => {
    for (const cmd of ['status', 'logs', 'cancel']) {
      rejects([cmd], 'KILN_ERR_VALIDATION', 'ID');
      rejects([cmd, 'a', 'b'], 'KILN_ERR_VALIDATION', "'b'");
      rejects([cmd, ''], 'KILN_ERR_VALIDATION', 'ID');
      rejects([cmd, 'a', '--nope'], 'KILN_ERR_UNKNOWN_OPTION', '--nope');
    }
    rejects(['status', 'a', '--follow'], 'KILN_ERR_UNKNOWN_OPTION', '--follow');
  });
});

void describe('kiln list', () => {
  void it('parses filters', () => {
    const plan = parse(
      [
        'list',
        '--status',
        'failed,timed_out',
        '--status',
        'failed',
        '--service',
        'web',
        '--limit',
        '10',
        '--json',
      ],
      'list',
    );
    assert.deepEqual(plan.statuses, ['failed', 'timed_out']);
    assert.equal(plan.serviceId, 'web');
    assert.equal(plan.limit, 10);
    assert.equal(plan.json, true);
    assert.deepEqual(parse(['list'], 'list').statuses, []);
  });

  void it('rejects bad filters', () => {
    rejects(['list', '--status', 'done'], 'KILN_ERR_VALIDATION', '--status');
    rejects(['list', '--limit', '0'], 'KILN_ERR_VALIDATION', '--limit');
    rejects(['list', '--limit', '501'], 'KILN_ERR_VALIDATION', '--limit');
    rejects(['list', 'x'], 'KILN_ERR_VALIDATION', "'x'");
    rejects(['list', '--all'], 'KILN_ERR_UNKNOWN_OPTION', '--all');
  });
});

void describe('kiln stats', () => {
  void it('parses scope', () => {
    const plan = parse(['stats', '--service', 'web', '--label', 'team=core', '--json'], 'stats');
    assert.equal(plan.serviceId, 'web');
    assert.equal(plan.label, 'team=core');
    assert.equal(plan.json, true);
  });

  void it('rejects bad scope', () => {
    rejects(['stats', '--label', 'team'], 'KILN_ERR_VALIDATION', '--label');
    rejects(['stats', '--service', ''], 'KILN_ERR_VALIDATION', '--service');
    rejects(['stats', '--since', '1h'], 'KILN_ERR_UNKNOWN_OPTION', '--since');
  });
});

void describe('kiln cleanup', () => {
  void it('parses a duration', () => {
    const plan = parse(['cleanup', '--older-than', '30d', '--dry-run', '--json'], 'cleanup');
    assert.equal(plan.olderThan, '30d');
    assert.equal(plan.dryRun, true);
    assert.equal(plan.json, true);
    assert.equal(parse(['cleanup', '--older-than', '007h'], 'cleanup').olderThan, '7h');
  });

  void it('requires a valid duration', () => {
    rejects(['cleanup'], 'KILN_ERR_VALIDATION', '--older-than');
    rejects(['cleanup', '--older-than', '30'], 'KILN_ERR_VALIDATION', '--older-than');
    rejects(['cleanup', '--older-than', '3y'], 'KILN_ERR_VALIDATION', '--older-than');
    rejects(['cleanup', '--older-than', '1.5d'], 'KILN_ERR_VALIDATION', '--older-than');
    rejects(['cleanup', '--older-than', '99999999999999w'], 'KILN_ERR_VALIDATION', 'too large');
    rejects(['cleanup', '--older-than', '3d', '--force'], 'KILN_ERR_UNKNOWN_OPTION', '--force');
  });
});

void describe('kiln image', () => {
  void it('parses the build id, the reference and the flags', () => {
    const plan = parse(
      ['image', 'B1', '--image', 'reg/app:v2', '--current', '--cmd', 'serve', '--json'],
      'image',
    );
    assert.deepEqual(plan, {
      command: 'image',
      client: { server: undefined, token: undefined, dataDir: undefined },
      id: 'B1',
      image: 'reg/app:v2',
      imageConfig: { cmd: ['serve'] },
      current: true,
      json: true,
    });
  });

  void it('needs an id and --image', () => {
    rejects(['image', '--image', 'reg/app'], 'KILN_ERR_VALIDATION', 'ID');
    rejects(['image', 'B1'], 'KILN_ERR_VALIDATION', '--image');
  });
});
