import { basename, dirname } from 'node:path';
import type { CacheInfo, CreatedToken, TokenView, WorkerCacheOptions } from '../../cache/index.js';
import { KilnError } from '../../errors/index.js';
import type { CachePlan, TokenPlan } from '../args/index.js';
import { clientEnv } from '../../config/client-env.js';
import type { ClientFlags } from '../args/index.js';
import { connect } from '../connection.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { cacheInfoLines, tokenListLines } from '../render/cache.js';
import { renderGcReport, type GcReportView } from '../render/gc.js';

const NIX32_HASH = /^[0123456789abcdfghijklmnpqrsvwxyz]{32}$/;

/** The hash part of a store path, a store path base name, or a bare hash. */
export function hashPartOf(path: string): string {
  const hash = basename(path).slice(0, 32);
  if (!NIX32_HASH.test(hash)) {
    throw new KilnError('KILN_ERR_VALIDATION', `not a store path: ${path}`, { path });
  }
  return hash;
}

const cachePath = (name: string, rest = ''): string => `/api/v1/caches/${encodeURIComponent(name)}${rest}`;

export async function runCache(plan: CachePlan, io: CliIo): Promise<number> {
  // worker-config goes through the API when a server is named (the way to reach a remote
  // deployment's database); without one it stays on this machine, as it always did.
  if (plan.action === 'worker-config' && (plan.mode !== 'set' || serverNamed(plan.client, io)))
    return runWorkerConfigApi(plan, io);
  if (plan.action === 'worker-config' || plan.action === 'warm') return runOnServerMachine(plan, io);
  const client = connect(plan.client, io);
  const print = (value: unknown, lines: () => string[]): void => {
    if (plan.json) writeJson(io.stdout, value);
    else for (const line of lines()) writeLine(io.stdout, line);
  };
  switch (plan.action) {
    case 'create': {
      const body: Record<string, unknown> = { name: plan.name, private: plan.private };
      if (plan.priority !== undefined) body['priority'] = plan.priority;
      if (plan.retentionDays !== undefined) body['retentionDays'] = plan.retentionDays;
      const info = await client.call<CacheInfo>('POST', '/api/v1/caches', body);
      // The public key goes last, so `kiln cache create x | tail -1` is what nix.conf needs.
      print(info, () => [
        `created ${info.private ? 'private' : 'public'} cache ${info.name}`,
        `substituter: ${client.server}/cache/${info.name}`,
        info.trustedPublicKeys[0] ?? '',
      ]);
      return 0;
    }
    case 'info': {
      const info = await client.call<CacheInfo>('GET', cachePath(plan.name));
      print(info, () => cacheInfoLines(info, client.server));
      return 0;
    }
    case 'list': {
      const { caches } = await client.call<{
        caches: { name: string; private: boolean; priority: number }[];
      }>('GET', '/api/v1/caches');
      print({ caches }, () =>
        caches.length === 0
          ? ['no caches']
          : caches.map(
              (cache) => `${cache.name}\t${cache.private ? 'private' : 'public'}\tpriority ${cache.priority}`,
            ),
      );
      return 0;
    }
    case 'rotate-key': {
      const body = plan.overlapSeconds === undefined ? {} : { overlapSeconds: plan.overlapSeconds };
      const rotated = await client.call<{
        key: { keyName: string; publicKey: string };
        retiring: { keyName: string; retiresAt: number | null }[];
      }>('POST', cachePath(plan.name, '/keys'), body);
      print(rotated, () => [
        ...rotated.retiring.map(
          (key) =>
            `${key.keyName} keeps signing until ${key.retiresAt === null ? 'further notice' : new Date(key.retiresAt).toISOString()}`,
        ),
        'add the new key to trusted-public-keys before the old one retires:',
        rotated.key.publicKey,
      ]);
      return 0;
    }
    case 'retention': {
      const info = await client.call<CacheInfo>('PATCH', cachePath(plan.name), { retentionDays: plan.days });
      print(info, () => [
        info.retentionDays === null
          ? `${info.name} keeps paths forever`
          : `${info.name} drops paths not fetched or pushed for ${info.retentionDays} days`,
      ]);
      return 0;
    }
    case 'gc': {
      const body =
        plan.olderThanDays === undefined
          ? { dryRun: plan.dryRun }
          : { dryRun: plan.dryRun, olderThanDays: plan.olderThanDays };
      const report = await client.call<GcReportView>('POST', cachePath(plan.name, '/gc'), body);
      print(report, () => renderGcReport(report));
      return 0;
    }
    case 'pin':
    case 'unpin': {
      const hash = hashPartOf(plan.path);
      await client.call(plan.action === 'pin' ? 'PUT' : 'DELETE', cachePath(plan.name, `/pins/${hash}`));
      print({ cache: plan.name, hash, pinned: plan.action === 'pin' }, () => [
        `${plan.action === 'pin' ? 'pinned' : 'unpinned'} ${plan.path} in ${plan.name}`,
      ]);
      return 0;
    }
    case 'pins': {
      const { pins } = await client.call<{ pins: { storePath: string; createdAt: number }[] }>(
        'GET',
        cachePath(plan.name, '/pins'),
      );
      print({ pins }, () =>
        pins.length === 0
          ? ['no pins']
          : pins.map((pin) => `${pin.storePath}\t${new Date(pin.createdAt).toISOString()}`),
      );
      return 0;
    }
  }
}

export async function runToken(plan: TokenPlan, io: CliIo): Promise<number> {
  const client = connect(plan.client, io);
  switch (plan.action) {
    case 'create': {
      const body: Record<string, unknown> = { perm: plan.perm };
      if (plan.cache !== undefined) body['cache'] = plan.cache;
      if (plan.ttlSeconds !== undefined) body['ttlSeconds'] = plan.ttlSeconds;
      if (plan.description !== undefined) body['description'] = plan.description;
      const created = await client.call<CreatedToken>('POST', '/api/v1/tokens', body);
      if (plan.json) writeJson(io.stdout, created);
      else {
        const scope = created.cache === null ? 'the server' : `cache ${created.cache}`;
        const until =
          created.expiresAt === null ? '' : `, expires ${new Date(created.expiresAt).toISOString()}`;
        writeLine(io.stderr, `${created.perm} token ${created.id} for ${scope}${until} (shown once):`);
        writeLine(io.stdout, created.token);
      }
      return 0;
    }
    case 'list': {
      const query = plan.cache === undefined ? '' : `?cache=${encodeURIComponent(plan.cache)}`;
      const { tokens } = await client.call<{ tokens: TokenView[] }>('GET', `/api/v1/tokens${query}`);
      if (plan.json) writeJson(io.stdout, { tokens });
      else for (const line of tokenListLines(tokens, Date.now())) writeLine(io.stdout, line);
      return 0;
    }
    case 'revoke':
      await client.call('DELETE', `/api/v1/tokens/${encodeURIComponent(plan.id)}`);
      if (plan.json) writeJson(io.stdout, { id: plan.id, revoked: true });
      else writeLine(io.stdout, `revoked ${plan.id}`);
      return 0;
  }
}

type LocalCachePlan = Extract<CachePlan, { action: 'worker-config' | 'warm' }>;
type WorkerConfigPlan = Extract<CachePlan, { action: 'worker-config' }>;

function serverNamed(flags: ClientFlags, io: CliIo): boolean {
  return flags.server !== undefined || clientEnv(io.env).server !== undefined;
}

/** The body of PUT /api/v1/workers/:id/cache: seed 002's option names. */
function workerCacheOptions(plan: WorkerConfigPlan): WorkerCacheOptions {
  return {
    ...(plan.cacheUrl !== undefined && { cacheUrl: plan.cacheUrl }),
    ...(plan.localCache !== undefined && { enableLocalCache: true, localCacheName: plan.localCache }),
    ...(plan.sharedStore !== undefined && { enableSharedStore: plan.sharedStore }),
    ...(plan.trust.length > 0 && { trustedPublicKeys: plan.trust }),
  };
}

interface WorkerCacheView {
  workerId: string;
  options: WorkerCacheOptions;
  updatedAt: string;
}

/** `kiln cache worker-config ID ...` through the API: set, show or clear the central settings. */
async function runWorkerConfigApi(plan: WorkerConfigPlan, io: CliIo): Promise<number> {
  const client = connect(plan.client, io);
  const path = `/api/v1/workers/${encodeURIComponent(plan.workerId)}/cache`;
  if (plan.mode === 'clear') {
    await client.call('DELETE', path);
    if (plan.json) writeJson(io.stdout, { workerId: plan.workerId, cleared: true });
    else writeLine(io.stdout, `cleared the cache settings of worker ${plan.workerId}`);
    return 0;
  }
  const view =
    plan.mode === 'show'
      ? await client.call<WorkerCacheView>('GET', path)
      : await client.call<WorkerCacheView>('PUT', path, workerCacheOptions(plan));
  if (plan.json) {
    writeJson(io.stdout, view);
    return 0;
  }
  if (plan.mode === 'set')
    writeLine(
      io.stderr,
      `stored the cache settings of worker ${view.workerId}; it applies them when it (re)starts`,
    );
  for (const [name, value] of Object.entries(view.options))
    writeLine(io.stdout, `${name}: ${Array.isArray(value) ? value.join(' ') : String(value)}`);
  writeLine(io.stdout, `updatedAt: ${view.updatedAt}`);
  return 0;
}

/**
 * Commands that act on this machine's kiln data directory and Nix store, in-process through the
 * library (seed 002's NixCacheService), rather than through the API.
 */
async function runOnServerMachine(plan: LocalCachePlan, io: CliIo): Promise<number> {
  const { NixCacheService } = await import('../../library/index.js');
  const dataDir = plan.client.dataDir ?? '.kiln';
  const listen = plan.action === 'worker-config' ? plan.listen : undefined;
  const service = await NixCacheService.open({ dataDir, ...(listen && { listen }) });
  try {
    if (plan.action === 'worker-config') {
      const config = await service.configureCacheForWorker(plan.workerId, workerCacheOptions(plan));
      if (plan.json) writeJson(io.stdout, config);
      else {
        writeLine(
          io.stderr,
          `stored the cache settings of worker ${plan.workerId} (it applies them when it starts); wrote ` +
            `${config.path} for a Nix run outside kiln: NIX_CONF_DIR=${dirname(config.path)}`,
        );
        io.stdout.write(config.text);
      }
      return 0;
    }
    const result = await service.cacheCommonPackages(plan.workerId, plan.packages, { cache: plan.name });
    if (plan.json) writeJson(io.stdout, result);
    else {
      for (const pkg of result.packages) writeLine(io.stdout, `${pkg.input}: ${pkg.outputs.join(' ')}`);
      if (result.push) {
        writeLine(
          io.stdout,
          `pushed ${result.push.pushed} paths to ${plan.name} (${result.push.alreadyPresent} were there already)`,
        );
      }
    }
    return 0;
  } finally {
    await service.close();
  }
}
