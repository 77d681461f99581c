import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import {
  BumpSteps,
  GitBuildPreparer,
  VersionSyncService,
  DeployHooks,
  ImageSteps,
  KeyedLock,
  MatrixSteps,
  hostSystem,
  type CachedPaths,
  checkImageReference,
  registryHost,
  type GitBuildsDeps,
  type SourceCredentials,
  BuildEvents,
  BuildService,
  cleanupBuilds,
  computeStatistics,
  executeBuild,
  recoverInterruptedBuilds,
  rootedByBuild,
  type PushOutputs,
  type StatisticsQuery,
} from '../builds/index.js';
import {
  batches,
  collectGarbage,
  hashPartOf,
  MISSING_BATCH,
  nixPushSource,
  pushClosure,
  startGcSchedule,
  Warehouse,
  WorkerCacheSettings,
  warehousePushTransport,
  type GcReport,
  type GcSchedule,
} from '../cache/index.js';
import { loadConfig, type ConfigInput, type KilnConfig } from '../config/index.js';
import { GitClient } from '../git/index.js';
import { type BuildRecord, type Store, type WorkerStatus } from '../persistence/index.js';
import { killProcessTree } from '../process/index.js';
import { Batcher, createWorkerPool, type WorkerPool } from '../queue/index.js';
import { machineSystems, type NixRunner } from '../runner/nix/index.js';
import { loadOrCreateMasterKey, SecretBox } from '../secrets/index.js';
import { RunNotifier } from '../notifications/index.js';
import { ProjectService } from '../projects/index.js';
import { TemplateService } from '../templates/index.js';
import { openConfiguredStore } from './database.js';
import { bridgeBuildEvents } from './event-bridge.js';
import { bumpDependencies, createNixRunner } from './packaging.js';
import { rolePlan, type RolePlan } from './roles.js';
import { KILN_VERSION } from './version.js';
import { createWarehouseStorage } from './warehouse-storage.js';
import { defaultSystemFeatures, WorkerPresence } from './worker-presence.js';
import { withCentralWorkerCache } from './worker-nix-settings.js';

/** A running kiln core: store, runner, build service and workers, without HTTP. */
export interface Kiln {
  readonly config: KilnConfig;
  readonly store: Store;
  readonly events: BuildEvents;
  readonly builds: BuildService;
  readonly pool: WorkerPool;
  readonly runner: NixRunner;
  readonly warehouse: Warehouse;
  /** Per-worker cache settings in the central store (`kiln cache worker-config`). */
  readonly workerCache: WorkerCacheSettings;
  readonly templates: TemplateService;
  /** Version syncs: a release bumps a repository's package file and pushes a branch. */
  readonly versionSyncs: VersionSyncService;
  /** Projects: repositories built on push, in concurrency groups. */
  readonly projects: ProjectService;
  /** What this process runs (config `role`). */
  readonly plan: RolePlan;
  /** This process's worker id (its lease owner), also when it runs no workers. */
  readonly workerId: string;
  /** The worker registry: every registered worker, alive or not. */
  workers(): Promise<WorkerStatus[]>;
  /** Build slots and running builds over every alive worker (this process's own counted live). */
  capacity(): Promise<{ slots: number; busy: number }>;
  statistics(query: StatisticsQuery): ReturnType<typeof computeStatistics>;
  cleanup(olderThanMs: number, dryRun: boolean): ReturnType<typeof cleanupBuilds>;
  /** Garbage-collects one cache, or with dryRun reports what would go. */
  collectGarbage(
    cacheName: string,
    options: { dryRun: boolean; retentionDays?: number | undefined },
  ): Promise<GcReport>;
  /** Stops workers (running builds go back to the queue) and closes the store. */
  close(): Promise<void>;
}

export interface CreateKilnOptions extends ConfigInput {
  /** Start build workers in this process (default true). */
  workers?: boolean;
}

/** The wiring: the only place that constructs implementations. */
export async function createKiln(options: CreateKilnOptions): Promise<Kiln> {
  const { workers = true, ...input } = options;
  // `let`: a worker replaces its Nix settings with its central ones below, before anything uses them.
  let config = loadConfig(input);
  const plan = rolePlan(config.role);
  const runWorkers = workers && plan.workers;
  const gcRootsDir = join(config.dataDir, 'gcroots');
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  await mkdir(gcRootsDir, { recursive: true });
  await mkdir(config.builds.workspaceDir, { recursive: true });

  // PostgreSQL when database.url is set (shared by several servers), else SQLite under dataDir.
  const store = openConfiguredStore(config);
  // A start-up that fails from here on closes the store: a library caller must not leak its pool.
  const failStart = async (error: unknown): Promise<never> => {
    await store.close().catch(() => undefined);
    throw error;
  };
  await store.migrate().catch(failStart);
  const events = new BuildEvents();
  const clock = (): number => Date.now();
  // One master key seals every secret at rest: cache signing keys, build credentials.
  const secretBox = new SecretBox(
    await loadOrCreateMasterKey(join(config.dataDir, 'master.key')).catch(failStart),
  );
  const warehouseStorage = createWarehouseStorage(config.cache);
  const warehouse = new Warehouse({
    store,
    storage: warehouseStorage.storage,
    ...(warehouseStorage.narRedirectSeconds !== undefined && {
      narRedirectSeconds: warehouseStorage.narRedirectSeconds,
    }),
    box: secretBox,
    clock,
    defaultPriority: config.cache.priority,
    keyOverlapMs: config.cache.keyOverlapSeconds * 1000,
    maxUploadBytes: config.cache.maxUploadBytes,
  });
  // Per-worker cache settings, central; a worker applies its own (nodeId) before it claims builds.
  const workerCache = new WorkerCacheSettings({
    repo: store.settings,
    clock,
    cacheExists: (name) => warehouse.exists(name),
  });
  if (runWorkers)
    config = await withCentralWorkerCache({
      config,
      settings: workerCache,
      warehouse,
      servesCache: plan.http !== 'health',
      log: (line) => console.error(`kiln: ${line}`),
    }).catch(failStart);
  const runner = await createNixRunner(config).catch(failStart);
  // What this process can build: its own systems, and its remote builders' (Nix sends those there).
  const buildableSystems = [
    ...new Set([
      hostSystem(),
      ...config.nix.extraPlatforms,
      ...machineSystems(runner.builderMachines, hostSystem()),
    ]),
  ];
  // Counters and access times are buffered on the hot path and written every few seconds.
  const counterTimer = setInterval(() => {
    warehouse.flush().catch((error: unknown) => console.error('kiln: cache counters flush failed:', error));
  }, 5_000);
  counterTimer.unref();
  // Periodic garbage collection of caches with a retention, and the sweep of crashed uploads.
  let gcSchedule: GcSchedule | undefined;
  if (workers && plan.cacheGc && config.cache.gcIntervalSeconds > 0) {
    gcSchedule = startGcSchedule(
      {
        repo: store.caches,
        storage: warehouseStorage.storage,
        clock,
        beforeRound: () => warehouse.flush(),
        onReport: (report) => warehouse.forgetPaths(report.cacheName),
        ...(warehouseStorage.sweepTemporaryFiles && {
          sweepTemporaryFiles: warehouseStorage.sweepTemporaryFiles,
        }),
      },
      config.cache.gcIntervalSeconds * 1000,
    );
  }
  const owner = `${config.nodeId}:${randomBytes(6).toString('hex')}`;
  // Processes sharing a PostgreSQL database hear each other's build events (hints; all poll too).
  const bridge = bridgeBuildEvents({
    signals: store.signals,
    events,
    origin: owner,
    log: (line) => console.error(`kiln: ${line}`),
  });

  // `--push CACHE`: the server pushes a build's outputs into its own warehouse, in process.
  // A worker with its own store pushes from that store.
  const pushSource = nixPushSource({ binDir: config.nix.binDir, store: config.nix.store });
  const pushOutputs: PushOutputs = async (cache, paths, signal, onLine) => {
    const summary = await pushClosure({
      cache,
      paths,
      transport: warehousePushTransport(warehouse),
      source: pushSource,
      jobs: config.cache.pushConcurrency,
      signal,
      onProgress: (event) => {
        if (event.type === 'missing')
          onLine(`kiln: ${event.missing} path(s) to upload, ${event.present} in ${cache} already`);
        if (event.type === 'retry')
          onLine(`kiln: retrying ${event.what} (attempt ${event.attempt}): ${event.error}`);
      },
    });
    return { ...summary, pushed: summary.pushedPaths };
  };

  // Builds that finish together share one `nix path-info` for their closure sizes.
  const closureSizes = new Batcher<string[], number>((sets) => runner.closureSizes(sets), {
    maxConcurrent: 1,
    maxBatch: 64,
  });

  // Builds from Git: credentials are sealed with the master key while a build needs them.
  const gitBuilds: GitBuildsDeps = {
    git: new GitClient({ knownHostsFile: config.git.knownHostsFile }),
    // An empty allow-list in the config means no restriction.
    policy: {
      allowLocal: config.git.allowLocal,
      ...(config.git.allowedHosts.length > 0 && { allowedHosts: config.git.allowedHosts }),
    },
    depth: config.git.depth,
    seal: {
      seal: (credentials, buildId) =>
        secretBox.encrypt(JSON.stringify(credentials), `build-credentials:${buildId}`),
      open: (sealed, buildId) =>
        JSON.parse(secretBox.decrypt(sealed, `build-credentials:${buildId}`).toString()) as SourceCredentials,
    },
  };
  const gitPreparer = new GitBuildPreparer(gitBuilds, runner, config.builds.workspaceDir);
  // Version syncs: the token and webhook secret sealed with the master key, bound to the sync.
  const versionSyncs = new VersionSyncService({
    store,
    events,
    clock,
    policy: gitBuilds.policy,
    git: gitBuilds.git,
    seal: {
      seal: (plain, context) => secretBox.encrypt(plain, context),
      open: (sealed, context) => secretBox.decrypt(sealed, context).toString(),
    },
    timeoutSeconds: config.builds.defaultTimeoutSeconds,
    maxSilentSeconds: config.builds.maxSilentSeconds,
    onQueued: () => pool.wake(),
  });
  const projects = new ProjectService({
    projects: store.projects,
    seal: {
      seal: (plain, context) => secretBox.encrypt(plain, context),
      open: (sealed, context) => secretBox.decrypt(sealed, context).toString(),
    },
    policy: gitBuilds.policy,
    submit: (submission) => builds.submit(submission),
    clock,
    hostSystem: hostSystem(),
  });
  // Run notifications: a project's signed run.finished webhook and commit statuses.
  const notifier = new RunNotifier({
    getProject: (name) => store.projects.get(name),
    listRunBuilds: async (runId) => {
      const [root, members] = await Promise.all([
        store.builds.get(runId),
        store.builds.list({ groupId: runId, limit: 10_000 }),
      ]);
      return root && root.groupId !== runId ? [root] : members;
    },
    openSecrets: async (project) => (await projects.secretsOf(project.name))?.secrets ?? {},
    publicUrl:
      config.publicUrl !== '' ? config.publicUrl : `http://${config.listen.host}:${config.listen.port}`,
    clock,
    log: (line) => console.error(`kiln: ${line}`),
  });
  events.subscribe('*', (event) => {
    // The process where the status changed notifies; one that only heard of it must not again.
    if (event.type !== 'status' || bridge.isRemote(event)) return;
    store.builds.get(event.buildId).then(
      (build) => {
        if (build?.projectId) void notifier.onBuildStatus(build);
      },
      (error: unknown) => console.error('kiln: notification lookup failed:', error),
    );
  });
  const bumpSteps = new BumpSteps({
    git: new GitClient({ knownHostsFile: config.git.knownHostsFile }),
    policy: gitBuilds.policy,
    openSync: (name) => versionSyncs.open(name),
    bump: bumpDependencies(runner, gitBuilds.policy),
    workspaceDir: config.builds.workspaceDir,
    depth: config.git.depth,
  });
  // Images go to the registry of seed 002's DOCKER_REGISTRY_* settings (or the one a build names).
  const imageSettings = {
    defaultRegistry: registryHost(config.registry.url),
    credentials:
      config.registry.username === ''
        ? undefined
        : { username: config.registry.username, password: config.registry.password },
    insecureRegistries: config.registry.insecure,
    maxLayers: config.registry.maxLayers,
    compression: config.registry.compression,
    fallbackRegistry: registryHost(config.registry.fallbackUrl),
    retry: { maxAttempts: config.registry.attempts, baseDelayMs: config.registry.retryBaseDelayMs },
    nixBinDir: config.nix.binDir,
    workspaceDir: config.builds.workspaceDir,
  };
  const imageSteps = new ImageSteps(imageSettings, clock);
  // Matrix builds: children whose outputs the push cache has (its narinfos) are not built again.
  const cachedPaths: CachedPaths = async (cache, storePaths) => {
    const byHash = new Map(storePaths.map((path) => [hashPartOf(path), path]));
    const present = new Set<string>();
    for (const hashes of batches([...byHash.keys()], MISSING_BATCH)) {
      const missing = new Set(await warehouse.missingPaths(cache, hashes));
      for (const hash of hashes) if (!missing.has(hash)) present.add(byHash.get(hash)!);
    }
    return present;
  };
  const matrixSteps = new MatrixSteps({
    store,
    nix: runner,
    cachedPaths,
    workspaceDir: config.builds.workspaceDir,
    buildableSystems,
    logCapBytes: config.builds.logCapBytes,
    clock,
  });
  const deployHooks = new DeployHooks(config.deploy);
  const groupLock = new KeyedLock();

  const pool: WorkerPool = createWorkerPool<BuildRecord>({
    concurrency: config.builds.concurrency,
    pollMs: config.queue.pollMs,
    heartbeatMs: config.queue.heartbeatMs,
    leaseMs: config.queue.leaseMs,
    claim: () => store.builds.claimNext(owner, config.queue.leaseMs, clock()),
    renew: (build) => store.builds.renewLease(build.id, owner, config.queue.leaseMs, clock()),
    execute: (build, signal) =>
      executeBuild(
        {
          store,
          runner,
          closureSize: (paths) => closureSizes.submit(paths),
          events,
          gcRootsDir,
          logCapBytes: config.builds.logCapBytes,
          owner,
          clock,
          pushOutputs,
          gitBuilds: gitPreparer,
          bumpBuilds: bumpSteps,
          images: imageSteps,
          deployHooks,
          groupLock,
          matrixBuilds: matrixSteps,
          // The API process evaluated expression and template builds into its store; this one has its own.
          ownStore:
            config.nix.store === ''
              ? undefined
              : {
                  workspaceDir: config.builds.workspaceDir,
                  renderTemplate: async (name, values, version) =>
                    (await templates.render(name, values, { version })).expression,
                },
        },
        build,
        signal,
      ),
    onError: (error, build) => {
      console.error(`kiln: worker error${build ? ` in build ${build.id}` : ''}:`, error);
    },
  });

  // A build queued by another process (the API node) is claimed now rather than on the next poll.
  bridge.onRemote((event) => {
    if (runWorkers && event.type === 'status' && event.status === 'pending') pool.wake();
  });

  const builds = new BuildService({
    store,
    runner,
    events,
    clock,
    workspaceDir: config.builds.workspaceDir,
    logCapBytes: config.builds.logCapBytes,
    limits: {
      defaultTimeoutSeconds: config.builds.defaultTimeoutSeconds,
      maxTimeoutSeconds: config.builds.maxTimeoutSeconds,
      maxSilentSeconds: config.builds.maxSilentSeconds,
      maxExpressionBytes: config.builds.maxExpressionBytes,
    },
    evalConcurrency: Math.max(2, availableParallelism()),
    onQueued: () => pool.wake(),
    abortRunning: (id, reason) => pool.abort(id, reason),
    checkPushCache: async (cache) => {
      await warehouse.info(cache);
    },
    defaultPushCache: (serviceId) => config.cache.pushByService[serviceId],
    git: gitBuilds,
    renderTemplate: (name, values, options) => templates.render(name, values, options),
    canDeploy: config.deploy.secret !== '',
    shipImageOf: (build, options, signal, log) => imageSteps.shipFinished(build, options, signal, log),
    checkImage: (reference) => {
      checkImageReference(reference, imageSettings);
    },
    rootOutputs: async (buildId, outputs) => {
      await runner.realise({
        drvPaths: [...outputs],
        gcRootPrefix: join(gcRootsDir, buildId, 'result'),
        timeoutSeconds: 60,
        maxSilentSeconds: 0,
      });
    },
    // The earlier build's GC roots prove validity without a Nix call; otherwise Nix decides.
    pathsValid: async (paths, buildId) =>
      (await rootedByBuild(join(gcRootsDir, buildId), paths)) || runner.pathsValid(paths),
  });

  // Templates: a new template's body gets Nix's parse check before it is stored.
  const templates = new TemplateService({
    repo: store.templates,
    clock,
    checkExpression: async (expression) => {
      const dir = await mkdtemp(join(config.builds.workspaceDir, 'template-'));
      try {
        await writeFile(join(dir, 'template.nix'), expression, { mode: 0o600 });
        await runner.parseCheck(join(dir, 'template.nix'));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  });

  // The worker registry: this process, while it runs builds.
  const presence = new WorkerPresence({
    repo: store.workers,
    worker: {
      id: owner,
      node: config.nodeId,
      host: hostname(),
      pid: process.pid,
      role: config.role,
      systems: buildableSystems,
      features: defaultSystemFeatures(),
      slots: config.builds.concurrency,
      nixStore: config.nix.store === '' ? '/nix/store' : config.nix.store,
      version: KILN_VERSION,
      startedAt: clock(),
    },
    load: () => pool.active,
    heartbeatMs: config.queue.heartbeatMs,
    timeoutMs: config.queue.workerTimeoutMs,
    clock,
    onError: (error) => console.error('kiln: worker heartbeat failed:', error),
  });
  const listWorkers = (): Promise<WorkerStatus[]> =>
    store.workers.list(clock(), config.queue.workerTimeoutMs);
  const capacity = async (): Promise<{ slots: number; busy: number }> => {
    const others = (await listWorkers()).filter((worker) => worker.alive && worker.id !== owner);
    return {
      slots: (runWorkers ? pool.slots : 0) + others.reduce((sum, worker) => sum + worker.slots, 0),
      busy: (runWorkers ? pool.active : 0) + others.reduce((sum, worker) => sum + worker.load, 0),
    };
  };

  const recover = (): Promise<number> =>
    recoverInterruptedBuilds({
      store,
      events,
      owner,
      nodeId: config.nodeId,
      policy: config.builds.recovery,
      maxAttempts: config.builds.maxAttempts,
      logCapBytes: config.builds.logCapBytes,
      clock,
      ownerState: (leaseOwner) => presence.ownerState(leaseOwner),
      killOrphan: async (pid, startTime) => {
        await killProcessTree(pid, startTime ?? undefined);
      },
    });

  let recoveryTimer: NodeJS.Timeout | undefined;
  if (runWorkers) {
    await presence.start();
    if (plan.recovery) await recover();
    pool.start();
    // Leases of workers that died elsewhere expire; sweep for them periodically.
    if (plan.recovery) {
      recoveryTimer = setInterval(() => {
        recover().then(
          (count) => count > 0 && pool.wake(),
          (error: unknown) => console.error('kiln: recovery sweep failed:', error),
        );
      }, config.queue.leaseMs);
      recoveryTimer.unref();
    }
  }

  return {
    config,
    store,
    events,
    builds,
    pool,
    runner,
    warehouse,
    workerCache,
    templates,
    versionSyncs,
    projects,
    plan,
    workerId: owner,
    workers: listWorkers,
    capacity,
    statistics: async (query) => computeStatistics(store, await capacity(), query, clock()),
    cleanup: (olderThanMs, dryRun) =>
      cleanupBuilds(
        { store, gcRootsDir, workspaceDir: config.builds.workspaceDir },
        clock() - olderThanMs,
        dryRun,
      ),
    async collectGarbage(cacheName, { dryRun, retentionDays }) {
      await warehouse.flush(); // access times buffered in memory count for retention
      const report = await collectGarbage(
        { repo: store.caches, storage: warehouse.storage, clock },
        cacheName,
        { dryRun, ...(retentionDays !== undefined && { retentionDays }) },
      );
      if (!dryRun) warehouse.forgetPaths(cacheName);
      return report;
    },
    async close() {
      if (recoveryTimer) clearInterval(recoveryTimer);
      clearInterval(counterTimer);
      await gcSchedule?.stop();
      await pool.stop({ abortRunning: true });
      if (runWorkers) await presence.stop();
      await notifier.idle();
      await bridge.close();
      await warehouse.flush();
      warehouseStorage.close();
      await store.close();
    },
  };
}
