import { KilnError } from '../../errors/index.js';
import { parseBuildArgs, type BuildPlan } from './build.js';
import { parseCacheArgs, type CachePlan } from './cache.js';
import { parseCleanupArgs, type CleanupPlan } from './cleanup.js';
import {
  parseCancelArgs,
  parseLogsArgs,
  parseStatusArgs,
  type CancelPlan,
  type LogsPlan,
  type StatusPlan,
} from './id-commands.js';
import { parseImageArgs, type ImagePlan } from './image.js';
import { parseListArgs, type ListPlan } from './list.js';
import { parsePrefetchArgs, type PrefetchPlan } from './prefetch.js';
import { parseBumpArgs, type BumpPlan } from './bump.js';
import { parseSyncArgs, type SyncPlan } from './sync.js';
import { parseProjectArgs, type ProjectPlan } from './project.js';
import { parsePushArgs, type PushPlan } from './push.js';
import { parseMigrateArgs, type MigratePlan } from './migrate.js';
import { parseServeArgs, type ServePlan } from './serve.js';
export type { ServeNixOptions } from './serve.js';
import { parseStatsArgs, type StatsPlan } from './stats.js';
import { parseStoreArgs, type StorePlan } from './store.js';
import { parseTemplateArgs, type TemplatePlan } from './template.js';
import { parseTokenArgs, type TokenPlan } from './token.js';
import { parseWorkersArgs, type WorkersPlan } from './workers.js';

export type { BuildPlan, CleanupPlan, CancelPlan, LogsPlan, StatusPlan, ListPlan, ServePlan, StatsPlan };
export type { PushPlan, CachePlan, TokenPlan, StorePlan, TemplatePlan, ImagePlan };
export type { PrefetchPlan, BumpPlan };
export type { SyncPlan };
export type { ProjectPlan };
export type { WorkersPlan };
export type { MigratePlan };
export type { ClientFlags } from './common.js';

export const COMMANDS = [
  'serve',
  'build',
  'status',
  'logs',
  'cancel',
  'image',
  'list',
  'stats',
  'cleanup',
  'push',
  'cache',
  'token',
  'store',
  'template',
  'prefetch',
  'bump',
  'sync',
  'project',
  'workers',
  'migrate',
  'help',
] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface HelpPlan {
  command: 'help';
  /** A command name, or undefined for the overview. */
  topic: string | undefined;
  /** `kiln` with no arguments: the overview goes to stderr with exit code 2. */
  asError?: boolean;
}
export interface VersionPlan {
  command: 'version';
}

export type Plan =
  | ServePlan
  | BuildPlan
  | StatusPlan
  | LogsPlan
  | CancelPlan
  | ImagePlan
  | ListPlan
  | StatsPlan
  | CleanupPlan
  | PushPlan
  | CachePlan
  | TokenPlan
  | StorePlan
  | TemplatePlan
  | PrefetchPlan
  | BumpPlan
  | SyncPlan
  | ProjectPlan
  | WorkersPlan
  | MigratePlan
  | HelpPlan
  | VersionPlan;

function isCommand(name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name);
}

/** Turns argv (without node and the script) into a typed plan, or throws a coded usage error. */
export function parseCommandLine(argv: readonly string[]): Plan {
  const [first, ...rest] = argv;
  if (first === undefined) return { command: 'help', topic: undefined, asError: true };
  if (first === '--help' || first === '-h') return parseHelp(rest);
  if (first === '--version' || first === '-V' || first === 'version') return { command: 'version' };
  if (first.startsWith('-')) {
    throw new KilnError(
      'KILN_ERR_UNKNOWN_OPTION',
      `unknown option '${first}' (options go after the command)`,
      {
        option: first,
      },
    );
  }
  if (!isCommand(first)) {
    throw new KilnError('KILN_ERR_VALIDATION', `unknown command '${first}'`, { command: first });
  }
  switch (first) {
    case 'help':
      return parseHelp(rest);
    case 'serve':
      return parseServeArgs(rest);
    case 'build':
      return parseBuildArgs(rest);
    case 'status':
      return parseStatusArgs(rest);
    case 'logs':
      return parseLogsArgs(rest);
    case 'cancel':
      return parseCancelArgs(rest);
    case 'image':
      return parseImageArgs(rest);
    case 'list':
      return parseListArgs(rest);
    case 'stats':
      return parseStatsArgs(rest);
    case 'cleanup':
      return parseCleanupArgs(rest);
    case 'push':
      return parsePushArgs(rest);
    case 'cache':
      return parseCacheArgs(rest);
    case 'token':
      return parseTokenArgs(rest);
    case 'store':
      return parseStoreArgs(rest);
    case 'template':
      return parseTemplateArgs(rest);
    case 'prefetch':
      return parsePrefetchArgs(rest);
    case 'bump':
      return parseBumpArgs(rest);
    case 'sync':
      return parseSyncArgs(rest);
    case 'project':
      return parseProjectArgs(rest);
    case 'workers':
      return parseWorkersArgs(rest);
    case 'migrate':
      return parseMigrateArgs(rest);
  }
}

function parseHelp(rest: readonly string[]): HelpPlan {
  const [topic, extra] = rest;
  if (topic === undefined) return { command: 'help', topic: undefined };
  if (extra !== undefined) {
    throw new KilnError('KILN_ERR_VALIDATION', `unexpected argument '${extra}' for 'kiln help'`, {
      command: 'help',
    });
  }
  if (!isCommand(topic))
    throw new KilnError('KILN_ERR_VALIDATION', `unknown command '${topic}'`, { command: topic });
  return { command: 'help', topic };
}
