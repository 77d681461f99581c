import type {
  CacheCounterBucket,
  CacheCounters,
  CacheKeyRecord,
  CacheObjectRecord,
  CachePathSummary,
  CachePathView,
  CachePin,
  CacheRecord,
  CacheRepo,
  CacheUsage,
  CounterHistoryQuery,
  NarRecord,
  NewCache,
} from '../types.js';
import type { PgDb } from './db.js';

function notImplemented(): never {
  throw new Error('not implemented');
}

/** PostgreSQL caches (work in progress: filled in next). */
export class PgCacheRepo implements CacheRepo {
  constructor(private readonly db: PgDb) {}

  create(_cache: NewCache, _firstKey: CacheKeyRecord): Promise<CacheRecord> {
    return Promise.reject(notImplemented());
  }
  get(_name: string): Promise<CacheRecord | undefined> {
    return Promise.reject(notImplemented());
  }
  list(): Promise<CacheRecord[]> {
    return Promise.reject(notImplemented());
  }
  markDeleted(_name: string, _now: number): Promise<boolean> {
    return Promise.reject(notImplemented());
  }
  addKey(_key: CacheKeyRecord): Promise<void> {
    return Promise.reject(notImplemented());
  }
  keys(_cacheName: string): Promise<CacheKeyRecord[]> {
    return Promise.reject(notImplemented());
  }
  signingKeys(_cacheName: string, _now: number): Promise<CacheKeyRecord[]> {
    return Promise.reject(notImplemented());
  }
  retireKey(_cacheName: string, _keyName: string, _at: number): Promise<CacheKeyRecord | undefined> {
    return Promise.reject(notImplemented());
  }
  setRetention(_cacheName: string, _days: number | null): Promise<boolean> {
    return Promise.reject(notImplemented());
  }
  putNar(_nar: NarRecord): Promise<{ nar: NarRecord; created: boolean }> {
    return Promise.reject(notImplemented());
  }
  getNar(_narHash: string): Promise<NarRecord | undefined> {
    return Promise.reject(notImplemented());
  }
  getNarByFileKey(_fileKey: string): Promise<NarRecord | undefined> {
    return Promise.reject(notImplemented());
  }
  cacheHasNar(_cacheName: string, _narHash: string): Promise<boolean> {
    return Promise.reject(notImplemented());
  }
  putPath(_object: CacheObjectRecord): Promise<void> {
    return Promise.reject(notImplemented());
  }
  getPath(_cacheName: string, _storePathHash: string): Promise<CachePathView | undefined> {
    return Promise.reject(notImplemented());
  }
  missingPaths(_cacheName: string, _storePathHashes: readonly string[]): Promise<string[]> {
    return Promise.reject(notImplemented());
  }
  setSignatures(_cacheName: string, _storePathHash: string, _signatures: readonly string[]): Promise<boolean> {
    return Promise.reject(notImplemented());
  }
  touchPaths(_cacheName: string, _storePathHashes: readonly string[], _at: number): Promise<void> {
    return Promise.reject(notImplemented());
  }
  listPaths(_cacheName: string): Promise<CachePathSummary[]> {
    return Promise.reject(notImplemented());
  }
  deletePaths(_cacheName: string, _storePathHashes: readonly string[]): Promise<string[]> {
    return Promise.reject(notImplemented());
  }
  deleteUnreferencedNars(
    _createdBefore: number,
    _limit: number,
  ): Promise<{ nar: NarRecord; aliases: string[] }[]> {
    return Promise.reject(notImplemented());
  }
  pin(_cacheName: string, _storePathHash: string, _now: number): Promise<boolean> {
    return Promise.reject(notImplemented());
  }
  unpin(_cacheName: string, _storePathHash: string): Promise<boolean> {
    return Promise.reject(notImplemented());
  }
  pins(_cacheName: string): Promise<CachePin[]> {
    return Promise.reject(notImplemented());
  }
  addStats(_cacheName: string, _deltas: Partial<CacheCounters>, _at?: number): Promise<void> {
    return Promise.reject(notImplemented());
  }
  counterHistory(_cacheName: string, _query: CounterHistoryQuery): Promise<CacheCounterBucket[]> {
    return Promise.reject(notImplemented());
  }
  counters(_cacheName: string): Promise<CacheCounters> {
    return Promise.reject(notImplemented());
  }
  usage(_cacheName: string): Promise<CacheUsage> {
    return Promise.reject(notImplemented());
  }
}
