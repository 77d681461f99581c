import { resolve } from 'node:path';
import type { BuildView, CreateVersionSyncBody, VersionSyncView } from '../../api/index.js';
import type { SyncPlan } from '../args/index.js';
import { connect } from '../connection.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { readSecretFile, reportBuilds } from './build.js';

const syncPath = (name: string): string => `/api/v1/version-syncs/${encodeURIComponent(name)}`;

/** `kiln sync`: version syncs on the server (a release bumps a package file and pushes a branch). */
export async function runSync(plan: SyncPlan, io: CliIo): Promise<number> {
  const client = connect(plan.client, io);
  const print = (value: unknown, lines: () => string[]): void => {
    if (plan.json) writeJson(io.stdout, value);
    else for (const line of lines()) writeLine(io.stdout, line);
  };
  switch (plan.action) {
    case 'add': {
      const cwd = io.cwd ?? process.cwd();
      const s = plan.settings;
      const body: CreateVersionSyncBody = {
        name: plan.name,
        repository: s.repository,
        file: s.file,
        ...(s.ref !== undefined && { ref: s.ref }),
        ...(s.entry !== undefined && { entry: s.entry }),
        ...(s.attr !== undefined && { attr: s.attr }),
        ...(s.verify !== undefined && { verify: s.verify }),
        ...(s.systems.length > 0 && { systems: s.systems }),
        ...(s.branch !== undefined && { branch: s.branch }),
        ...(s.tagPattern !== undefined && { tagPattern: s.tagPattern }),
        // Secrets are read here and travel in the request body, never on a command line.
        ...(s.tokenFile !== undefined && { token: readSecretFile(resolve(cwd, s.tokenFile)).trim() }),
        ...(s.webhookSecretFile !== undefined && {
          webhookSecret: readSecretFile(resolve(cwd, s.webhookSecretFile)).trim(),
        }),
      };
      const sync = await client.call<VersionSyncView>('POST', '/api/v1/version-syncs', body);
      print(sync, () => [`added version sync ${sync.name}`, ...syncLines(sync, client.server)]);
      return 0;
    }
    case 'list': {
      const { syncs } = await client.call<{ syncs: VersionSyncView[] }>('GET', '/api/v1/version-syncs');
      print({ syncs }, () =>
        syncs.map((s) => `${s.name}\t${s.repository}${s.ref === null ? '' : `@${s.ref}`}\t${s.file}`),
      );
      return 0;
    }
    case 'show': {
      const sync = await client.call<VersionSyncView>('GET', syncPath(plan.name));
      print(sync, () => syncLines(sync, client.server));
      return 0;
    }
    case 'remove': {
      const result = await client.call<{ name: string; removed: boolean }>('DELETE', syncPath(plan.name));
      print(result, () => [`removed version sync ${result.name}`]);
      return 0;
    }
    case 'run': {
      const { builds } = await client.call<{ builds: BuildView[] }>('POST', `${syncPath(plan.name)}/runs`, {
        version: plan.version,
      });
      return reportBuilds(builds, { mode: plan.mode, json: plan.json }, client, io);
    }
  }
}

/** `kiln sync show`: every setting, one per line; secrets only as set or not. */
export function syncLines(sync: VersionSyncView, server: string): string[] {
  const row = (label: string, value: string): string => `${`${label}:`.padEnd(15)}${value}`;
  return [
    row('name', sync.name),
    row('repository', sync.repository),
    row('ref', sync.ref ?? '(remote HEAD)'),
    row('file', sync.file),
    ...(sync.entry === null ? [] : [row('entry', sync.entry)]),
    ...(sync.attr === null ? [] : [row('attr', sync.attr)]),
    ...(sync.verify === null ? [] : [row('verify', sync.verify)]),
    ...(sync.systems.length === 0 ? [] : [row('systems', sync.systems.join(', '))]),
    row('branch', sync.branch),
    row('tag pattern', sync.tagPattern),
    row('git token', sync.hasToken ? 'set' : 'none'),
    row('webhook', sync.hasWebhookSecret ? `${server}${sync.webhookPath}` : 'none (no webhook secret)'),
    row('created', sync.createdAt),
  ];
}
