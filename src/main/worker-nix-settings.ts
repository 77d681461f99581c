import {
  effectiveWorkerNixSettings,
  isWorkerId,
  localCacheNameOf,
  localCacheUrl,
  type CentralWorkerCache,
  type Warehouse,
  type WorkerCacheSettings,
} from '../cache/index.js';
import type { KilnConfig } from '../config/index.js';
import { KilnError, isKilnError } from '../errors/index.js';

export interface CentralWorkerCacheDeps {
  config: KilnConfig;
  settings: WorkerCacheSettings;
  warehouse: Warehouse;
  /** This process serves the cache routes itself (role all or cache). */
  servesCache: boolean;
  log: (line: string) => void;
}

/**
 * A worker's start-up read of its central cache settings (`worker-cache:<nodeId>`, set with
 * `kiln cache worker-config` or PUT /api/v1/workers/:id/cache): the configuration it runs with,
 * its substituters, trusted keys and store replaced where its own configuration left them unset
 * (effectiveWorkerNixSettings decides). Read once: a change applies when the worker restarts.
 */
export async function withCentralWorkerCache(deps: CentralWorkerCacheDeps): Promise<KilnConfig> {
  const { config } = deps;
  if (!isWorkerId(config.nodeId)) return config;
  const stored = await deps.settings.get(config.nodeId);
  if (!stored) return config;
  const central: CentralWorkerCache = { options: stored.options };
  const local = localCacheNameOf(stored.options);
  if (local !== undefined) {
    const url = localCacheUrl(config, deps.servesCache, local);
    const info = await deps.warehouse.info(local).catch((error: unknown) => {
      if (isKilnError(error) && error.code === 'KILN_ERR_NOT_FOUND')
        throw new KilnError(
          'KILN_ERR_CONFIG',
          `the central cache settings of worker ${config.nodeId} use the local cache '${local}', which no longer exists`,
          { cache: local, workerId: config.nodeId },
        );
      throw error;
    });
    central.localCache = { url, publicKeys: info.trustedPublicKeys };
  }
  const effective = effectiveWorkerNixSettings(config, central);
  const { origin } = effective;
  deps.log(
    `worker ${config.nodeId}: substituters ${effective.substituters.join(' ') || '(none)'} (${origin.substituters}), ` +
      `store ${effective.store || 'the machine’s'} (${origin.store}); central settings of ${new Date(stored.updatedAt).toISOString()}`,
  );
  const applied: KilnConfig = {
    ...config,
    nix: { ...config.nix, store: effective.store },
    cache: {
      ...config.cache,
      substituters: effective.substituters,
      trustedPublicKeys: effective.trustedPublicKeys,
    },
  };
  return Object.freeze(applied);
}
