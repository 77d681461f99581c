import { KilnError } from '../../errors/index.js';
import {
  CLIENT_OPTIONS,
  clientFlags,
  nonEmpty,
  parseEnv,
  parseInteger,
  parseLabels,
  positionals,
  type ClientFlags,
  parseOptions,
} from './common.js';

export type BuildSourceFlag = { kind: 'file'; path: string } | { kind: 'expr'; expression: string };

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
    wait: { type: 'boolean', short: 'w' },
    follow: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) return { command: 'help', topic: 'build' };
  positionals('build', rest, []);

  let source: BuildSourceFlag;
  if (values.file !== undefined && values.expr !== undefined) {
    throw new KilnError('KILN_ERR_VALIDATION', 'give one source: --file or --expr, not both', {
      option: '--file',
    });
  } else if (values.file !== undefined) {
    source = { kind: 'file', path: nonEmpty('--file', values.file) ?? '' };
  } else if (values.expr !== undefined) {
    source = { kind: 'expr', expression: nonEmpty('--expr', values.expr) ?? '' };
  } else {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      "'kiln build' needs a source: --file PATH.nix or --expr 'EXPRESSION'",
      {
        option: '--file',
      },
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
    mode: values.follow ? 'follow' : values.wait ? 'wait' : 'submit',
    json: values.json ?? false,
  };
}
