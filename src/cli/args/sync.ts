import { KilnError } from '../../errors/index.js';
import {
  CLIENT_OPTIONS,
  clientFlags,
  nonEmpty,
  parseOptions,
  positionals,
  type ClientFlags,
} from './common.js';

/** What `kiln sync add` sends; the secret files are read by the command, never put in argv. */
export interface SyncSettings {
  repository: string;
  file: string;
  ref: string | undefined;
  entry: string | undefined;
  attr: string | undefined;
  verify: string | undefined;
  systems: string[];
  branch: string | undefined;
  tagPattern: string | undefined;
  tokenFile: string | undefined;
  webhookSecretFile: string | undefined;
}

/** `kiln sync add|list|show|remove|run`: version syncs on the server. */
export type SyncPlan = { command: 'sync'; client: ClientFlags; json: boolean } & (
  | { action: 'add'; name: string; settings: SyncSettings }
  | { action: 'list' }
  | { action: 'show'; name: string }
  | { action: 'remove'; name: string }
  | { action: 'run'; name: string; version: string; mode: 'submit' | 'wait' | 'follow' }
);

const ADD_OPTIONS = [
  'git',
  'file',
  'ref',
  'entry',
  'attr',
  'verify',
  'system',
  'branch',
  'tag-pattern',
  'git-token-file',
  'webhook-secret-file',
] as const;
const RUN_OPTIONS = ['version', 'wait', 'follow'] as const;

export function parseSyncArgs(args: readonly string[]): SyncPlan | { command: 'help'; topic: 'sync' } {
  const { values, positionals: rest } = parseOptions('sync', args, {
    ...CLIENT_OPTIONS,
    json: { type: 'boolean' },
    git: { type: 'string' },
    file: { type: 'string', short: 'f' },
    ref: { type: 'string' },
    entry: { type: 'string' },
    attr: { type: 'string', short: 'A' },
    verify: { type: 'string' },
    system: { type: 'string', multiple: true },
    branch: { type: 'string' },
    'tag-pattern': { type: 'string' },
    'git-token-file': { type: 'string' },
    'webhook-secret-file': { type: 'string' },
    version: { type: 'string' },
    wait: { type: 'boolean', short: 'w' },
    follow: { type: 'boolean' },
  });
  if (values.help) return { command: 'help', topic: 'sync' };
  const [action, ...operands] = rest;
  const base = { command: 'sync' as const, client: clientFlags(values), json: values.json ?? false };
  /** Options of other subcommands are mistakes, not silently ignored. */
  const only = (sub: string, allowed: readonly string[]): void => {
    const stray = [...ADD_OPTIONS, ...RUN_OPTIONS].find(
      (name) => values[name] !== undefined && !allowed.includes(name),
    );
    if (stray !== undefined) {
      throw new KilnError('KILN_ERR_VALIDATION', `'kiln sync ${sub}' does not take --${stray}`, {
        option: `--${stray}`,
        command: 'sync',
      });
    }
  };
  switch (action) {
    case 'add': {
      only('add', ADD_OPTIONS);
      const [name = ''] = positionals('sync add', operands, ['NAME']);
      const repository = nonEmpty('--git', values.git);
      const file = nonEmpty('--file', values.file);
      if (repository === undefined || file === undefined) {
        throw new KilnError('KILN_ERR_VALIDATION', "'kiln sync add' needs --git URL and --file PATH", {
          option: repository === undefined ? '--git' : '--file',
          command: 'sync',
        });
      }
      return {
        ...base,
        action,
        name,
        settings: {
          repository,
          file,
          ref: nonEmpty('--ref', values.ref),
          entry: nonEmpty('--entry', values.entry),
          attr: nonEmpty('--attr', values.attr),
          verify: nonEmpty('--verify', values.verify),
          systems: values.system ?? [],
          branch: nonEmpty('--branch', values.branch),
          tagPattern: nonEmpty('--tag-pattern', values['tag-pattern']),
          tokenFile: nonEmpty('--git-token-file', values['git-token-file']),
          webhookSecretFile: nonEmpty('--webhook-secret-file', values['webhook-secret-file']),
        },
      };
    }
    case 'list':
      only('list', []);
      positionals('sync list', operands, []);
      return { ...base, action };
    case 'show':
    case 'remove': {
      only(action, []);
      const [name = ''] = positionals(`sync ${action}`, operands, ['NAME']);
      return { ...base, action, name };
    }
    case 'run': {
      only('run', RUN_OPTIONS);
      const [name = ''] = positionals('sync run', operands, ['NAME']);
      const version = nonEmpty('--version', values.version);
      if (version === undefined) {
        throw new KilnError('KILN_ERR_VALIDATION', "'kiln sync run' needs --version VERSION", {
          option: '--version',
          command: 'sync',
        });
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
      const mode = values.follow ? 'follow' : values.wait ? 'wait' : 'submit';
      return { ...base, action, name, version, mode };
    }
    default:
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        action === undefined
          ? "'kiln sync' needs a subcommand: add, list, show, remove or run"
          : `unknown subcommand 'kiln sync ${action}' (one of: add, list, show, remove, run)`,
        { command: 'sync' },
      );
  }
}
