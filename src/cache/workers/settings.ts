import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { KilnError } from '../../errors/index.js';
import type { SettingsRepo } from '../../persistence/index.js';
import {
  assertWorkerId,
  checkWorkerCacheOptions,
  localCacheNameOf,
  WorkerCacheOptionsSchema,
  type WorkerCacheOptions,
} from './nix-config.js';

/** One worker's central cache settings as stored (JSON under `worker-cache:<id>`). */
export const StoredWorkerCacheSchema = Type.Object(
  {
    workerId: Type.String(),
    options: WorkerCacheOptionsSchema,
    updatedAt: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type StoredWorkerCache = Static<typeof StoredWorkerCacheSchema>;

export const workerCacheKey = (workerId: string): string => `worker-cache:${workerId}`;

/**
 * Per-worker cache settings in the central store (SettingsRepo), shared by every process on the
 * database: an admin writes them (API, CLI, library), each worker reads its own at start.
 * Validated with the schema on write and on read.
 */
export class WorkerCacheSettings {
  constructor(
    private readonly deps: {
      repo: SettingsRepo;
      clock: () => number;
      /** Whether the warehouse has a live cache of this name. */
      cacheExists: (name: string) => Promise<boolean>;
    },
  ) {}

  async get(workerId: string): Promise<StoredWorkerCache | undefined> {
    assertWorkerId(workerId);
    const text = await this.deps.repo.get(workerCacheKey(workerId));
    if (text === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (!Value.Check(StoredWorkerCacheSchema, value) || value.workerId !== workerId) {
      throw new KilnError(
        'KILN_ERR_CONFIG',
        `the stored cache settings of worker ${workerId} are not valid; set them again (kiln cache worker-config ${workerId} ...)`,
        { workerId },
      );
    }
    return value;
  }

  /** Replaces the worker's settings; a local cache they enable must exist. */
  async put(workerId: string, options: WorkerCacheOptions): Promise<StoredWorkerCache> {
    if (!Value.Check(WorkerCacheOptionsSchema, options)) {
      const [problem] = [...Value.Errors(WorkerCacheOptionsSchema, options)];
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `invalid worker cache settings: ${problem ? `${problem.path || '/'}: ${problem.message}` : 'not an object'}`,
      );
    }
    checkWorkerCacheOptions(workerId, options);
    const local = localCacheNameOf(options);
    if (local !== undefined && !(await this.deps.cacheExists(local)))
      throw new KilnError(
        'KILN_ERR_NOT_FOUND',
        `there is no cache named '${local}' to use as the local cache; create it with \`kiln cache create ${local}\``,
        { cache: local },
      );
    const stored: StoredWorkerCache = {
      workerId,
      options: Value.Clone(options),
      updatedAt: this.deps.clock(),
    };
    await this.deps.repo.set(workerCacheKey(workerId), JSON.stringify(stored));
    return stored;
  }

  /** Removes the worker's settings; false when it had none. */
  async delete(workerId: string): Promise<boolean> {
    assertWorkerId(workerId);
    return this.deps.repo.delete(workerCacheKey(workerId));
  }
}
