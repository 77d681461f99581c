import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  assertWorkerId,
  localCacheNameOf,
  localCacheUrl,
  planWorkerNixConfig,
  pushClosure,
  nixPushSource,
  type PushSummary,
  type PushTransport,
  type StoredWorkerCache,
  type Warehouse,
  type WorkerCacheOptions,
  type WorkerNixConfig,
} from '../cache/index.js';
import { KilnError, isKilnError } from '../errors/index.js';
import { writeFileAtomic } from '../fsutil/index.js';
import { createKiln, type CreateKilnOptions, type Kiln } from '../main/index.js';
import { runSupervised } from '../process/index.js';
import { buildEnv } from '../runner/nix/index.js';

export {
  planWorkerNixConfig,
  type WorkerCacheOptions,
  type WorkerNixConfig,
  type WorkerNixConfigInput,
} from '../cache/index.js';

const STORE_PATH = /^\/nix\/store\/[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+$/;
const PACKAGE_NAME = /^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*$/;
const MiB = 1024 * 1024;

export interface CacheStatistics {
  /** Stored (compressed) bytes, in MiB with two decimals. */
  cacheSizeMb: number;
  /** Percentage of narinfo lookups answered with a path (0 when there were none). */
  hitRate: number;
  objects: number;
  narBytes: number;
  fileBytes: number;
  pins: number;
  narinfoHits: number;
  narinfoMisses: number;
  narsServed: number;
  bytesServed: number;
  uploads: number;
  uploadBytes: number;
  /** The caches counted (every live cache unless one was named). */
  caches: string[];
}

export interface CachedPackage {
  /** The store path, .drv path, expression or package name as given. */
  input: string;
  outputs: string[];
}

export interface CacheCommonPackagesResult {
  workerId: string;
  packages: CachedPackage[];
  /** When a cache was named: what the push did. */
  push?: PushSummary;
}

export interface OptimiseResult {
  /** Bytes Nix reports freed by hard-linking, or null when it printed no figure. */
  bytesFreed: number | null;
  filesLinked: number | null;
  durationMs: number;
}

/**
 * Seed 002's NixCacheService, in-process: worker Nix settings, warming (and pushing) packages,
 * statistics and clean-up of kiln's caches, and store optimisation. Open with
 * `NixCacheService.open({ dataDir })` or share a core with `NixCacheService.fromKiln(kiln)`.
 */
export class NixCacheService {
  readonly kiln: Kiln;
  readonly #ownsKiln: boolean;

  private constructor(kiln: Kiln, ownsKiln: boolean) {
    this.kiln = kiln;
    this.#ownsKiln = ownsKiln;
  }

  /** Opens a kiln core for cache work (no build workers unless asked for). */
  static async open(options: CreateKilnOptions): Promise<NixCacheService> {
    return new NixCacheService(await createKiln({ workers: false, ...options }), true);
  }

  /** Uses an open core, e.g. `NixBuildService`'s `kiln`; close() then leaves it open. */
  static fromKiln(kiln: Kiln): NixCacheService {
    return new NixCacheService(kiln, false);
  }

  get #warehouse(): Warehouse {
    return this.kiln.warehouse;
  }

  #workerDir(workerId: string): string {
    assertWorkerId(workerId);
    return join(this.kiln.config.dataDir, 'workers', workerId);
  }

  /**
   * Stores the worker's cache settings centrally (`worker-cache:<id>` in the database every kiln
   * process shares): the worker applies them when it starts (`kiln serve --role worker` with
   * KILN_NODE_ID=<id>). Also plans them as this machine sees them and writes
   * DATA/workers/<id>/nix.conf (atomically), for a Nix run outside kiln:
   * `NIX_CONF_DIR=DATA/workers/<id>`. A local cache must exist (`kiln cache create local`); its
   * current public keys are trusted; its URL is publicUrl, else this kiln's listen address.
   */
  async configureCacheForWorker(
    workerId: string,
    options: WorkerCacheOptions = {},
  ): Promise<WorkerNixConfig & { path: string; stored: StoredWorkerCache }> {
    const dir = this.#workerDir(workerId);
    const stored = await this.kiln.workerCache.put(workerId, options);
    const local = localCacheNameOf(options);
    const config = planWorkerNixConfig({
      workerId,
      options,
      ...(local !== undefined && {
        localCache: {
          url: localCacheUrl(this.kiln.config, true, local),
          publicKeys: (await this.#warehouse.info(local)).trustedPublicKeys,
        },
      }),
      upstreamUrl: this.kiln.config.upstreamCache.url,
      configuredKeys: this.kiln.config.cache.trustedPublicKeys,
      privateStoreDir: join(dir, 'store'),
    });
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'nix.conf');
    await writeFileAtomic(path, config.text);
    return { ...config, path, stored };
  }

  /**
   * Realises store paths, `.drv` paths, Nix expressions or nixpkgs attribute names (through
   * `<nixpkgs>` on NIX_PATH) on this machine, keeping them from Nix's GC with roots under
   * DATA/workers/<id>/gcroots, and pushes their closures to `options.cache` when given.
   */
  async cacheCommonPackages(
    workerId: string,
    packages: readonly string[],
    options: { cache?: string; signal?: AbortSignal } = {},
  ): Promise<CacheCommonPackagesResult> {
    const dir = this.#workerDir(workerId);
    const evalDir = join(dir, 'eval');
    await mkdir(evalDir, { recursive: true });
    const results: CachedPackage[] = [];
    for (const [index, input] of packages.entries()) {
      const drvPaths = STORE_PATH.test(input)
        ? [input]
        : await this.#instantiate(input, evalDir, index, options.signal);
      const result = await this.kiln.runner.realise({
        drvPaths,
        gcRootPrefix: join(dir, 'gcroots', `package-${index}`),
        timeoutSeconds: this.kiln.config.builds.maxTimeoutSeconds,
        maxSilentSeconds: 0,
        signal: options.signal,
      });
      if (result.status !== 'succeeded')
        throw new KilnError('KILN_ERR_NIX', `cannot realise '${input}': ${result.message}`, {
          input,
          reason: result.reason,
        });
      results.push({ input, outputs: result.outputs });
    }
    if (options.cache === undefined) return { workerId, packages: results };
    const push = await pushClosure({
      cache: options.cache,
      paths: results.flatMap((p) => p.outputs),
      transport: inProcessTransport(this.#warehouse),
      source: nixPushSource({ binDir: this.kiln.config.nix.binDir }),
      ...(options.signal && { signal: options.signal }),
    });
    return { workerId, packages: results, push };
  }

  async #instantiate(input: string, evalDir: string, index: number, signal?: AbortSignal): Promise<string[]> {
    const isName = PACKAGE_NAME.test(input);
    const file = join(evalDir, `package-${index}.nix`);
    await writeFile(file, isName ? `(import <nixpkgs> {}).${input}\n` : `${input}\n`);
    try {
      return await this.kiln.runner.instantiate({ file, env: {}, workDir: evalDir, signal });
    } catch (error) {
      if (isName && isKilnError(error) && /nixpkgs.*(search path|NIX_PATH)|NIX_PATH/.test(error.message))
        throw new KilnError(
          'KILN_ERR_CONFIG',
          `cannot resolve package '${input}': <nixpkgs> is not on NIX_PATH. Set NIX_PATH (or nix.nixPath) ` +
            'to a nixpkgs checkout, or pass store paths, .drv paths or Nix expressions instead',
          { package: input, nixPath: this.kiln.config.nix.nixPath },
          { cause: error },
        );
      throw error;
    }
  }

  /** Counters and usage of one cache, or of every live cache added up. */
  async getCacheStatistics(cacheName?: string): Promise<CacheStatistics> {
    const names =
      cacheName !== undefined
        ? [cacheName]
        : (await this.#warehouse.listCaches()).filter((c) => c.deletedAt === null).map((c) => c.name);
    const infos = await Promise.all(names.map((name) => this.#warehouse.info(name)));
    const sum = (pick: (info: (typeof infos)[number]) => number): number =>
      infos.reduce((n, i) => n + pick(i), 0);
    const hits = sum((i) => i.counters.narinfoHits);
    const misses = sum((i) => i.counters.narinfoMisses);
    const fileBytes = sum((i) => i.usage.fileBytes);
    return {
      cacheSizeMb: Math.round((fileBytes / MiB) * 100) / 100,
      hitRate: hits + misses === 0 ? 0 : Math.round((hits / (hits + misses)) * 1000) / 10,
      objects: sum((i) => i.usage.objects),
      narBytes: sum((i) => i.usage.narBytes),
      fileBytes,
      pins: sum((i) => i.usage.pins),
      narinfoHits: hits,
      narinfoMisses: misses,
      narsServed: sum((i) => i.counters.narsServed),
      bytesServed: sum((i) => i.counters.narBytesServed),
      uploads: sum((i) => i.counters.uploads),
      uploadBytes: sum((i) => i.counters.uploadBytes),
      caches: names,
    };
  }

  /**
   * Garbage-collects with a retention of `days` (pins and what recent paths reference stay; see
   * collectGarbage) one cache, or every live cache; returns how many paths were deleted.
   */
  async cleanupOldPackages(days: number, cacheName?: string): Promise<number> {
    if (!Number.isFinite(days) || days < 0)
      throw new KilnError('KILN_ERR_VALIDATION', 'days must be a number >= 0', { days });
    const names =
      cacheName !== undefined
        ? [cacheName]
        : (await this.#warehouse.listCaches()).filter((c) => c.deletedAt === null).map((c) => c.name);
    let deleted = 0;
    for (const name of names) {
      const report = await this.kiln.collectGarbage(name, { dryRun: false, retentionDays: days });
      deleted += report.deletedPaths;
    }
    return deleted;
  }

  /** `nix-store --optimise`: hard-links identical files in the store. */
  async optimiseStore(options: { signal?: AbortSignal } = {}): Promise<OptimiseResult> {
    const { binDir, nixPath } = this.kiln.config.nix;
    const messages: string[] = [];
    const result = await runSupervised({
      command: join(binDir, 'nix-store'),
      args: ['--optimise', '--option', 'build-users-group', ''],
      env: buildEnv({ binDir, home: homedir(), nixPath }),
      onStdoutLine: (line) => messages.push(line),
      onStderrLine: (line) => messages.push(line),
      ...(options.signal && { signal: options.signal }),
    });
    if (result.aborted) options.signal?.throwIfAborted();
    if (result.exitCode !== 0)
      throw new KilnError(
        'KILN_ERR_NIX',
        `nix-store --optimise failed: ${messages.slice(-5).join(' ') || 'no message'}`,
        {
          exitCode: result.exitCode,
        },
      );
    return { ...parseOptimiseOutput(messages), durationMs: result.durationMs };
  }

  /** Closes the core if this service opened it. */
  async close(): Promise<void> {
    if (this.#ownsKiln) await this.kiln.close();
  }
}

/** Reads Nix's `1.23 MiB freed by hard-linking 45 files` line. */
export function parseOptimiseOutput(lines: readonly string[]): {
  bytesFreed: number | null;
  filesLinked: number | null;
} {
  const units: Record<string, number> = { B: 1, KiB: 1024, MiB: MiB, GiB: 1024 * MiB };
  for (const line of lines) {
    const match = /([\d.]+) (B|KiB|MiB|GiB) freed by hard-linking (\d+) files?/.exec(line);
    if (match)
      return { bytesFreed: Math.round(Number(match[1]) * units[match[2]!]!), filesLinked: Number(match[3]) };
  }
  return { bytesFreed: null, filesLinked: null };
}

/** The push engine's transport, answered by the warehouse in this process instead of over HTTP. */
function inProcessTransport(warehouse: Warehouse): PushTransport {
  const answer = async (work: () => Promise<unknown>) => {
    try {
      const body = await work();
      return { status: 200, text: JSON.stringify(body ?? {}) };
    } catch (error) {
      const code = isKilnError(error) ? error.code : 'KILN_ERR_INTERNAL';
      const status =
        code === 'KILN_ERR_VALIDATION'
          ? 400
          : code === 'KILN_ERR_NOT_FOUND'
            ? 404
            : code === 'KILN_ERR_CONFLICT'
              ? 409
              : 500;
      return { status, text: JSON.stringify({ error: { code, message: (error as Error).message } }) };
    }
  };
  return {
    postJson: (path, body) =>
      answer(async () => {
        const match = /^\/api\/v1\/caches\/([^/]+)\/missing-paths$/.exec(path);
        if (!match) throw new KilnError('KILN_ERR_NOT_FOUND', `no in-process route for POST ${path}`);
        const hashes = (body as { storePathHashes: string[] }).storePathHashes;
        return { missing: await warehouse.missingPaths(decodeURIComponent(match[1]!), hashes) };
      }),
    put: (path, body, _contentType, signal) =>
      answer(async () => {
        const match = /^\/cache\/([^/]+)\/(.+)$/.exec(path);
        if (!match) throw new KilnError('KILN_ERR_NOT_FOUND', `no in-process route for PUT ${path}`);
        const cache = decodeURIComponent(match[1]!);
        const rest = match[2]!;
        const bytes = body.kind === 'bytes' ? body.bytes : undefined;
        if (rest.startsWith('nar/'))
          return await warehouse.putNar(
            cache,
            rest,
            bytes ? once(bytes) : body.kind === 'stream' ? body.open() : once(new Uint8Array()),
            signal,
          );
        const narinfo = /^([0-9a-z]{32})\.narinfo$/.exec(rest);
        if (narinfo && bytes)
          return await warehouse.putNarInfo(cache, narinfo[1]!, Buffer.from(bytes).toString('utf8'));
        throw new KilnError('KILN_ERR_NOT_FOUND', `no in-process route for PUT ${path}`);
      }),
  };
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  yield bytes;
}
