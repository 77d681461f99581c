import { nonEmpty, parseOptions, positionals } from './common.js';
import { DEFAULT_DATA_DIR } from './serve.js';

export interface MigratePlan {
  command: 'migrate';
  dataDir: string;
  /** `--database URL`; undefined: KILN_DATABASE_URL, else SQLite under the data directory. */
  databaseUrl: string | undefined;
}

export function parseMigrateArgs(
  args: readonly string[],
): MigratePlan | { command: 'help'; topic: 'migrate' } {
  const { values, positionals: rest } = parseOptions('migrate', args, {
    data: { type: 'string' },
    database: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { command: 'help', topic: 'migrate' };
  positionals('migrate', rest, []);
  return {
    command: 'migrate',
    dataDir: nonEmpty('--data', values.data) ?? DEFAULT_DATA_DIR,
    databaseUrl: nonEmpty('--database', values.database),
  };
}
