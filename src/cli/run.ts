import { readFileSync } from 'node:fs';
import { isKilnError } from '../errors/index.js';
import { parseCommandLine, type Plan } from './args/index.js';
import { runBuild } from './commands/build.js';
import { runCache, runToken } from './commands/cache.js';
import { runLogs } from './commands/logs.js';
import { runPrefetch } from './commands/prefetch.js';
import { runBump } from './commands/bump.js';
import { runSync } from './commands/sync.js';
import { runProject } from './commands/project.js';
import { runWorkers } from './commands/workers.js';
import { runPush } from './commands/push.js';
import { runMigrate } from './commands/migrate.js';
import { runServe } from './commands/serve.js';
import { runStore } from './commands/store.js';
import { runTemplate } from './commands/template.js';
import { runCancel, runCleanup, runImage, runList, runStats, runStatus } from './commands/simple.js';
import { exitCodeFor, formatError, isUsageError } from './errors.js';
import { writeLine, type CliIo } from './io.js';
import { usageText } from './usage.js';

export type { CliIo } from './io.js';

/**
 * Runs one kiln command line and returns the exit code: 0 success; 1 a waited-for build did not
 * succeed, or a server/network error; 2 bad input (usage errors, 4xx answers).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let plan: Plan;
  try {
    plan = parseCommandLine(argv);
  } catch (err) {
    report(io, err, argv[0]);
    return exitCodeFor(err);
  }
  try {
    return await execute(plan, io);
  } catch (err) {
    report(io, err, undefined);
    return exitCodeFor(err);
  }
}

function execute(plan: Plan, io: CliIo): Promise<number> | number {
  switch (plan.command) {
    case 'help':
      if (plan.asError) {
        writeLine(io.stderr, usageText(undefined));
        return 2;
      }
      writeLine(io.stdout, usageText(plan.topic));
      return 0;
    case 'version':
      writeLine(io.stdout, `kiln ${version()}`);
      return 0;
    case 'serve':
      return runServe(plan, io);
    case 'build':
      return runBuild(plan, io);
    case 'status':
      return runStatus(plan, io);
    case 'logs':
      return runLogs(plan, io);
    case 'cancel':
      return runCancel(plan, io);
    case 'image':
      return runImage(plan, io);
    case 'list':
      return runList(plan, io);
    case 'stats':
      return runStats(plan, io);
    case 'cleanup':
      return runCleanup(plan, io);
    case 'push':
      return runPush(plan, io);
    case 'cache':
      return runCache(plan, io);
    case 'token':
      return runToken(plan, io);
    case 'store':
      return runStore(plan, io);
    case 'template':
      return runTemplate(plan, io);
    case 'prefetch':
      return runPrefetch(plan, io);
    case 'bump':
      return runBump(plan, io);
    case 'sync':
      return runSync(plan, io);
    case 'project':
      return runProject(plan, io);
    case 'workers':
      return runWorkers(plan, io);
    case 'migrate':
      return runMigrate(plan, io);
  }
}

function report(io: CliIo, err: unknown, command: string | undefined): void {
  writeLine(io.stderr, formatError(err));
  if (!isUsageError(err)) return;
  const named = isKilnError(err) ? err.details?.['command'] : undefined;
  const topic = typeof named === 'string' ? named : command;
  if (topic !== undefined && !topic.startsWith('-') && usageText(topic) !== usageText(undefined)) {
    writeLine(io.stderr, `Run 'kiln ${topic} --help' for usage.`);
  } else {
    writeLine(io.stderr, "Run 'kiln --help' for usage.");
  }
}

function version(): string {
  try {
    // dist/src/cli/run.js → the repository's package.json.
    const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
    const parsed = JSON.parse(text) as { version?: unknown };
    return typeof parsed.version === 'string' ? parsed.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
