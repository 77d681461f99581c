import { KilnError } from '../../errors/index.js';
import {
  CLIENT_OPTIONS,
  clientFlags,
  nonEmpty,
  parseEnv,
  parseKeyValue,
  parseInteger,
  parseLabels,
  positionals,
  type ClientFlags,
  parseOptions,
} from './common.js';
import { IMAGE_CONFIG_OPTIONS, parseImageConfig } from './image.js';
import type { ImageConfig } from '../../persistence/index.js';

export type BuildSourceFlag =
  | { kind: 'file'; path: string }
  | { kind: 'expr'; expression: string }
  | {
      kind: 'git';
      url: string;
      ref: string | undefined;
      attr: string | undefined;
      submodules: boolean;
      /** Read by the client and sent to the server, which seals them; never in argv of git. */
      tokenFile: string | undefined;
      sshKeyFile: string | undefined;
    }
  | { kind: 'template'; name: string; version: string | undefined; values: Record<string, string> };

export interface BuildPlan {
  command: 'build';
  client: ClientFlags;
  source: BuildSourceFlag;
  env: Record<string, string>;
  timeoutSeconds: number | undefined;
  maxSilentSeconds: number | undefined;
  systems: string[];
  serviceId: string | undefined;
  labels: Record<string, string>;
  priority: number | undefined;
  /** Cache the server pushes the outputs' closure to after a successful build. */
  push: string | undefined;
  /** `REGISTRY/REPO[:TAG]` the server pushes an image of the outputs to. */
  image: string | undefined;
  /** The image's Entrypoint, Cmd, Env, WorkingDir, ExposedPorts and User. */
  imageConfig: ImageConfig | undefined;
  /** URL the server POSTs (signed) to after pushing the image. */
  deployHook: string | undefined;
  /** The run's concurrency group (GitHub Actions semantics). */
  concurrency: { group: string; cancelInProgress: boolean; queue: boolean } | undefined;
  /** submit: print ids and return; wait: block until terminal; follow: wait and stream the log. */
  mode: 'submit' | 'wait' | 'follow';
  json: boolean;
}

const SYSTEM = /^[a-z0-9_]+-[a-z0-9_]+$/;
const MAX_SYSTEMS = 8;

export function parseBuildArgs(args: readonly string[]): BuildPlan | { command: 'help'; topic: 'build' } {
  const { values, positionals: rest } = parseOptions('build', args, {
    ...CLIENT_OPTIONS,
    file: { type: 'string', short: 'f' },
    expr: { type: 'string', short: 'E' },
    env: { type: 'string', short: 'e', multiple: true },
    timeout: { type: 'string' },
    'max-silent': { type: 'string' },
    system: { type: 'string', multiple: true },
    service: { type: 'string' },
    label: { type: 'string', short: 'l', multiple: true },
    priority: { type: 'string' },
    push: { type: 'string' },
    image: { type: 'string' },
    ...IMAGE_CONFIG_OPTIONS,
    'deploy-hook': { type: 'string' },
    group: { type: 'string' },
    'cancel-in-progress': { type: 'boolean' },
    queue: { type: 'boolean' },
    git: { type: 'string' },
    ref: { type: 'string' },
    attr: { type: 'string', short: 'A' },
    submodules: { type: 'boolean' },
    'git-token-file': { type: 'string' },
    'ssh-key-file': { type: 'string' },
    template: { type: 'string' },
    'template-version': { type: 'string' },
    set: { type: 'string', multiple: true },
    wait: { type: 'boolean', short: 'w' },
    follow: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) return { command: 'help', topic: 'build' };
  positionals('build', rest, []);

  const given = (['file', 'expr', 'git', 'template'] as const).filter((name) => values[name] !== undefined);
  if (given.length > 1) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `give one source: ${given.map((name) => `--${name}`).join(' or ')}, not several`,
      { option: `--${given[1] ?? 'file'}` },
    );
  }
  const gitOnly = (['ref', 'submodules', 'git-token-file', 'ssh-key-file'] as const).find(
    (name) => values[name] !== undefined && values.git === undefined,
  );
  if (gitOnly !== undefined) {
    throw new KilnError('KILN_ERR_VALIDATION', `option '--${gitOnly}' goes with --git`, {
      option: `--${gitOnly}`,
    });
  }
  if (values.attr !== undefined && values.git === undefined) {
    throw new KilnError('KILN_ERR_VALIDATION', "option '--attr' goes with --git", { option: '--attr' });
  }
  if (
    (values.set !== undefined || values['template-version'] !== undefined) &&
    values.template === undefined
  ) {
    throw new KilnError('KILN_ERR_VALIDATION', "option '--set' goes with --template", { option: '--set' });
  }
  if (values['git-token-file'] !== undefined && values['ssh-key-file'] !== undefined) {
    throw new KilnError('KILN_ERR_VALIDATION', 'give either --git-token-file or --ssh-key-file, not both', {
      option: '--ssh-key-file',
    });
  }
  let source: BuildSourceFlag;
  if (values.file !== undefined) {
    source = { kind: 'file', path: nonEmpty('--file', values.file) ?? '' };
  } else if (values.expr !== undefined) {
    source = { kind: 'expr', expression: nonEmpty('--expr', values.expr) ?? '' };
  } else if (values.git !== undefined) {
    source = {
      kind: 'git',
      url: nonEmpty('--git', values.git) ?? '',
      ref: nonEmpty('--ref', values.ref),
      attr: nonEmpty('--attr', values.attr),
      submodules: values.submodules ?? false,
      tokenFile: nonEmpty('--git-token-file', values['git-token-file']),
      sshKeyFile: nonEmpty('--ssh-key-file', values['ssh-key-file']),
    };
  } else if (values.template !== undefined) {
    const templateValues: Record<string, string> = {};
    for (const raw of values.set ?? []) {
      const [key, value] = parseKeyValue('--set', raw);
      templateValues[key] = value;
    }
    source = {
      kind: 'template',
      name: nonEmpty('--template', values.template) ?? '',
      version: nonEmpty('--template-version', values['template-version']),
      values: templateValues,
    };
  } else {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      "'kiln build' needs a source: --file PATH.nix, --expr 'EXPRESSION', --git URL or --template NAME",
      {
        option: '--file',
      },
    );
  }

  const imageOnly = (
    ['entrypoint', 'cmd', 'image-env', 'workdir', 'port', 'user', 'deploy-hook'] as const
  ).find((name) => values[name] !== undefined && values.image === undefined);
  if (imageOnly !== undefined) {
    throw new KilnError('KILN_ERR_VALIDATION', `option '--${imageOnly}' goes with --image`, {
      option: `--${imageOnly}`,
    });
  }

  const groupOnly = (['cancel-in-progress', 'queue'] as const).find(
    (name) => values[name] !== undefined && values.group === undefined,
  );
  if (groupOnly !== undefined) {
    throw new KilnError('KILN_ERR_VALIDATION', `option '--${groupOnly}' goes with --group`, {
      option: `--${groupOnly}`,
    });
  }
  if (values.queue && values['cancel-in-progress']) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      'give either --queue or --cancel-in-progress: a queued group never cancels the run in progress',
      { option: '--queue' },
    );
  }

  if (values.wait && values.follow) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      'give either --wait or --follow, not both (--follow also waits)',
      {
        option: '--follow',
      },
    );
  }

  const systems = values.system ?? [];
  for (const system of systems) {
    if (!SYSTEM.test(system)) {
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `option '--system' expects a system like x86_64-linux, got ${JSON.stringify(system)}`,
        {
          option: '--system',
        },
      );
    }
  }
  const uniqueSystems = [...new Set(systems)];
  if (uniqueSystems.length > MAX_SYSTEMS) {
    throw new KilnError('KILN_ERR_VALIDATION', `at most ${MAX_SYSTEMS} --system options`, {
      option: '--system',
    });
  }

  return {
    command: 'build',
    client: clientFlags(values),
    source,
    env: parseEnv(values.env ?? []),
    timeoutSeconds:
      values.timeout === undefined ? undefined : parseInteger('--timeout', values.timeout, 1, 2 ** 31 - 1),
    maxSilentSeconds:
      values['max-silent'] === undefined
        ? undefined
        : parseInteger('--max-silent', values['max-silent'], 0, 2 ** 31 - 1),
    systems: uniqueSystems,
    serviceId: nonEmpty('--service', values.service),
    labels: parseLabels(values.label ?? []),
    priority:
      values.priority === undefined ? undefined : parseInteger('--priority', values.priority, -100, 100),
    push: nonEmpty('--push', values.push),
    image: nonEmpty('--image', values.image),
    imageConfig: parseImageConfig(values),
    deployHook: nonEmpty('--deploy-hook', values['deploy-hook']),
    concurrency:
      values.group === undefined
        ? undefined
        : {
            group: nonEmpty('--group', values.group) ?? '',
            cancelInProgress: values['cancel-in-progress'] ?? false,
            queue: values.queue ?? false,
          },
    mode: values.follow ? 'follow' : values.wait ? 'wait' : 'submit',
    json: values.json ?? false,
  };
}
