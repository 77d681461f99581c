import { join } from 'node:path';
import { buildApiServer, type ApiDeps } from '../api/index.js';
import { computeTimeline } from '../builds/index.js';
import { KilnError } from '../errors/index.js';
import { ensureAdminToken } from '../tokens/index.js';
import { createKiln, type CreateKilnOptions, type Kiln } from './kiln.js';

export interface StartServerOptions {
  dataDir: string;
  host: string;
  port: number;
  concurrency?: number;
  /** Further configuration (tests use it for short timeouts and small caps). */
  config?: Omit<CreateKilnOptions, 'dataDir'>;
  logger?: boolean;
}

export interface RunningServer {
  url: string;
  adminTokenPath: string;
  kiln: Kiln;
  close(): Promise<void>;
}

/** What the HTTP layer needs, from a running core. */
export function apiDepsFor(kiln: Kiln, options: { logPollMs: number }): ApiDeps {
  return {
    builds: kiln.builds,
    events: kiln.events,
    statistics: (query) => kiln.statistics(query),
    cleanup: (olderThanMs, dryRun) => kiln.cleanup(olderThanMs, dryRun),
    timeline: async (request) =>
      computeTimeline(kiln.store, (await kiln.capacity()).slots, request, Date.now()),
    cacheHistory: async (cacheName, query) => {
      await kiln.warehouse.flush(); // counters buffered in memory belong to the newest bucket
      return kiln.store.caches.counterHistory(cacheName, query);
    },
    authenticate: (secret) => kiln.warehouse.authenticate(secret),
    warehouse: kiln.warehouse,
    templates: kiln.templates,
    versionSyncs: kiln.versionSyncs,
    projects: kiln.projects,
    collectGarbage: (cacheName, options) => kiln.collectGarbage(cacheName, options),
    workers: { list: () => kiln.workers(), timeoutMs: kiln.config.queue.workerTimeoutMs },
    workerCache: kiln.workerCache,
    health: () => ({
      role: kiln.config.role,
      ...(kiln.plan.workers && { worker: kiln.workerId, running: kiln.pool.active, slots: kiln.pool.slots }),
    }),
    bodyLimitBytes: kiln.config.api.bodyLimitBytes,
    logPollMs: options.logPollMs,
  };
}

/**
 * `kiln serve`: API, binary caches and workers in one process, all state under dataDir; with a
 * role (config `role`, `kiln serve --role`) only part of them (src/main/roles.ts).
 */
export async function startKilnServer(options: StartServerOptions): Promise<RunningServer> {
  const kiln = await createKiln({
    ...options.config,
    dataDir: options.dataDir,
    listen: { host: options.host, port: options.port },
    ...(options.concurrency !== undefined && {
      builds: { ...options.config?.builds, concurrency: options.concurrency },
    }),
  });
  const adminTokenPath = join(kiln.config.dataDir, 'admin.token');
  // Only the API mints the first admin token: a worker or cache process joins an existing deployment.
  if (kiln.plan.http === 'full') await ensureAdminToken(kiln.store.tokens, adminTokenPath, Date.now());
  const app = await buildApiServer(apiDepsFor(kiln, { logPollMs: 1000 }), {
    logger: options.logger ?? false,
    surface: kiln.plan.http,
  });
  let address: string;
  try {
    address = await app.listen({ host: kiln.config.listen.host, port: kiln.config.listen.port });
  } catch (error) {
    await kiln.close();
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${kiln.config.listen.host}:${kiln.config.listen.port}`;
    if (code === 'EADDRINUSE')
      throw new KilnError('KILN_ERR_CONFIG', `cannot listen on ${where}: the address is in use`);
    if (code === 'EACCES')
      throw new KilnError('KILN_ERR_CONFIG', `cannot listen on ${where}: permission denied`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new KilnError('KILN_ERR_CONFIG', `cannot listen on ${where}: no such local address`);
    }
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: address,
    adminTokenPath,
    kiln,
    close() {
      closing ??= (async () => {
        // Workers first: running builds go back to the queue before connections drop.
        await kiln.pool.stop({ abortRunning: true });
        await app.close();
        await kiln.close();
      })();
      return closing;
    },
  };
}
