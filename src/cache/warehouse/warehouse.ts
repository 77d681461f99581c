import { KilnError, isKilnError } from '../../errors/index.js';
import type {
  CacheCounters,
  CacheKeyRecord,
  CachePin,
  CacheRecord,
  CacheUsage,
  NarRecord,
  Store,
  TokenRecord,
} from '../../persistence/index.js';
import type { SecretBox } from '../../secrets/index.js';
import { createToken, hashSecret } from '../../tokens/index.js';
import { DEFAULT_STORE_DIR, renderNixCacheInfo } from '../formats/nix-cache-info.js';
import type { ByteRange, ObjectStorage, ReadResult } from '../storage/types.js';
import { checkCacheAccess, tokenGrants, type CacheRight } from './access.js';
import { CounterBuffer } from './counters.js';
import { Memo } from './memo.js';
import { assertCacheName, isStoreBaseName, isStorePathHashPart } from './names.js';
import { receiveNar, type ReceivedNar } from './nar-upload.js';
import {
  parseUploadedNarInfo,
  pathRecordFor,
  renderServedNarInfo,
  servedSignatures,
  signPath,
  uploaderSignatures,
  type CacheSigner,
} from './narinfo-record.js';
import { keySetValidUntil, newCacheKey, nextKeyName, openCacheKey } from './signing-keys.js';

export interface WarehouseOptions {
  store: Pick<Store, 'caches' | 'tokens'>;
  storage: ObjectStorage;
  box: SecretBox;
  clock: () => number;
  /** nix-cache-info Priority of new caches. */
  defaultPriority: number;
  /** How long an old key keeps signing after a rotation. */
  keyOverlapMs: number;
  maxUploadBytes: number;
  /** How many signed narinfos stay in memory (the hot path serves them without I/O). */
  narinfoMemoEntries?: number;
  /**
   * How long a token, cache or key lookup is trusted without asking the store again. Changes made
   * through this process apply at once; this bounds how stale another node's changes can be.
   */
  recheckMs?: number;
  /**
   * When set and the storage hands out download URLs (S3's presigned URLs), NAR downloads are
   * redirected to such a URL, valid this many seconds, instead of streamed through kiln.
   */
  narRedirectSeconds?: number;
}

export interface CacheKeyView {
  keyName: string;
  publicKey: string;
  activatedAt: number;
  retiresAt: number | null;
  /** Whether it signs now. */
  signing: boolean;
}

export interface CacheInfo {
  name: string;
  private: boolean;
  priority: number;
  retentionDays: number | null;
  createdAt: number;
  /** Every key the cache ever had; `trustedPublicKeys` are the ones clients need now. */
  keys: CacheKeyView[];
  trustedPublicKeys: string[];
  counters: CacheCounters;
  usage: CacheUsage;
}

export interface NewCacheRequest {
  name: string;
  private?: boolean | undefined;
  priority?: number | undefined;
  retentionDays?: number | null | undefined;
}

export interface CreatedToken {
  id: string;
  token: string;
  perm: TokenRecord['perm'];
  cache: string | null;
  expiresAt: number | null;
}

/** A token as listed: never its secret. */
export interface TokenView {
  id: string;
  perm: TokenRecord['perm'];
  cache: string | null;
  description: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

const TOKEN_MEMO_ENTRIES = 10_000;

function toTokenView(record: TokenRecord): TokenView {
  const { id, perm, scope, description, createdAt, expiresAt, revokedAt } = record;
  return { id, perm, cache: scope, description, createdAt, expiresAt, revokedAt };
}

function toKeyView(key: CacheKeyRecord, now: number): CacheKeyView {
  const { keyName, publicKey, activatedAt, retiresAt } = key;
  const signing = activatedAt <= now && (retiresAt === null || retiresAt > now);
  return { keyName, publicKey, activatedAt, retiresAt, signing };
}

function logKey(cacheName: string, drv: string): string {
  return `logs/${cacheName}/${drv}`;
}

/**
 * The warehouse: named binary caches with their keys, tokens, narinfos, NARs and logs. Everything
 * the HTTP layer and the CLI need, without HTTP. Reads are served from memory where possible: the
 * narinfo of a path is rendered and signed once, then kept until a key changes or the path does.
 */
export class Warehouse {
  readonly #store: WarehouseOptions['store'];
  readonly #storage: ObjectStorage;
  readonly #box: SecretBox;
  readonly #clock: () => number;
  readonly #options: WarehouseOptions;
  readonly #recheckMs: number;
  readonly #caches = new Memo<CacheRecord | undefined>(10_000);
  readonly #tokens = new Memo<TokenRecord | undefined>(TOKEN_MEMO_ENTRIES);
  readonly #signers = new Memo<CacheSigner & { validUntil: number }>(10_000);
  readonly #narinfos: Memo<string>;
  /** NAR records by file key, and which caches hold which NAR: immutable until collected. */
  readonly #nars = new Memo<NarRecord>(100_000);
  readonly #cacheNars = new Memo<true>(100_000);
  readonly #counters: CounterBuffer;

  constructor(options: WarehouseOptions) {
    this.#store = options.store;
    this.#storage = options.storage;
    this.#box = options.box;
    this.#clock = options.clock;
    this.#options = options;
    this.#recheckMs = options.recheckMs ?? 5_000;
    this.#narinfos = new Memo<string>(options.narinfoMemoEntries ?? 200_000);
    this.#counters = new CounterBuffer(options.store.caches);
  }

  get storage(): ObjectStorage {
    return this.#storage;
  }

  // ---- caches and keys ----------------------------------------------------------------------

  async createCache(request: NewCacheRequest): Promise<CacheInfo> {
    assertCacheName(request.name);
    const now = this.#clock();
    const key = newCacheKey(this.#box, request.name, nextKeyName(request.name, []), now);
    await this.#store.caches.create(
      {
        name: request.name,
        private: request.private ?? false,
        priority: request.priority ?? this.#options.defaultPriority,
        retentionDays: request.retentionDays ?? null,
        createdAt: now,
      },
      key,
    );
    this.#caches.delete(request.name);
    return this.info(request.name);
  }

  async listCaches(): Promise<CacheRecord[]> {
    return (await this.#store.caches.list()).filter((cache) => cache.deletedAt === null);
  }

  /** Whether a cache of this name exists (and is not deleted), read fresh from the store. */
  async exists(name: string): Promise<boolean> {
    return (await this.#liveCache(name, true)) !== undefined;
  }

  async info(name: string): Promise<CacheInfo> {
    const cache = await this.#liveCache(name, true);
    if (!cache) throw new KilnError('KILN_ERR_NOT_FOUND', `no cache named ${name}`, { cache: name });
    const now = this.#clock();
    const [keys, counters, usage] = await Promise.all([
      this.#store.caches.keys(name),
      this.#counters.totals(name),
      this.#store.caches.usage(name),
    ]);
    const views = keys.map((key) => toKeyView(key, now));
    return {
      name: cache.name,
      private: cache.private,
      priority: cache.priority,
      retentionDays: cache.retentionDays,
      createdAt: cache.createdAt,
      keys: views,
      trustedPublicKeys: views.filter((key) => key.signing).map((key) => key.publicKey),
      counters,
      usage,
    };
  }

  /**
   * Adds a new signing key that signs from now on; the keys signing until now retire after the
   * overlap, so clients have time to trust the new key before narinfos stop carrying the old one.
   */
  async rotateKey(
    name: string,
    overlapMs = this.#options.keyOverlapMs,
  ): Promise<{ key: CacheKeyView; retiring: CacheKeyView[] }> {
    const now = this.#clock();
    const existing = await this.#store.caches.keys(name);
    const signing = await this.#store.caches.signingKeys(name, now);
    const record = newCacheKey(this.#box, name, nextKeyName(name, existing), now);
    await this.#store.caches.addKey(record);
    const retiring: CacheKeyRecord[] = [];
    for (const old of signing) {
      const retired = await this.#store.caches.retireKey(name, old.keyName, now + overlapMs);
      if (retired) retiring.push(retired);
    }
    this.#forgetSigners(name);
    return { key: toKeyView(record, now), retiring: retiring.map((key) => toKeyView(key, now)) };
  }

  async setRetention(name: string, days: number | null): Promise<void> {
    if (!(await this.#store.caches.setRetention(name, days))) {
      throw new KilnError('KILN_ERR_NOT_FOUND', `no cache named ${name}`, { cache: name });
    }
    this.#caches.delete(name);
  }

  // ---- tokens and access ----------------------------------------------------------------------

  async createToken(request: {
    cache: string | null;
    perm: TokenRecord['perm'];
    ttlMs?: number | undefined;
    description?: string | undefined;
  }): Promise<CreatedToken> {
    if (request.cache === null && request.perm !== 'admin') {
      throw new KilnError('KILN_ERR_VALIDATION', 'pull and push tokens are for one cache: name it');
    }
    if (request.cache !== null && !(await this.#liveCache(request.cache, true))) {
      throw new KilnError('KILN_ERR_NOT_FOUND', `no cache named ${request.cache}`, { cache: request.cache });
    }
    const { record, secret } = await createToken(
      this.#store.tokens,
      { perm: request.perm, scope: request.cache, ttlMs: request.ttlMs, description: request.description },
      this.#clock(),
    );
    return {
      id: record.id,
      token: secret,
      perm: record.perm,
      cache: record.scope,
      expiresAt: record.expiresAt,
    };
  }

  async listTokens(cache?: string): Promise<TokenView[]> {
    const all = await this.#store.tokens.list();
    return all.filter((token) => cache === undefined || token.scope === cache).map(toTokenView);
  }

  async getToken(id: string): Promise<TokenView | undefined> {
    const found = await this.#store.tokens.get(id);
    return found ? toTokenView(found) : undefined;
  }

  /** Revokes at once for this process (its memo is dropped); false if no such live token. */
  async revokeToken(id: string): Promise<boolean> {
    const revoked = await this.#store.tokens.revoke(id, this.#clock());
    this.#tokens.clear();
    return revoked;
  }

  /** The valid token for `secret`, or undefined (unknown, revoked or expired). */
  async authenticate(secret: string): Promise<TokenRecord | undefined> {
    if (secret.length < 8 || secret.length > 512) return undefined;
    const now = this.#clock();
    const hash = hashSecret(secret);
    let record = this.#tokens.get(hash, now);
    if (record === undefined) {
      record = await this.#store.tokens.findBySecretHash(hash);
      this.#tokens.set(hash, record, now + this.#recheckMs);
    }
    if (!record || record.revokedAt !== null) return undefined;
    if (record.expiresAt !== null && record.expiresAt <= now) return undefined;
    return record;
  }

  /**
   * Checks that a request with `secret` (undefined without credentials) may do `need` on the
   * cache, and returns the cache. Throws 401/403/404-coded errors (see checkCacheAccess).
   */
  async access(cacheName: string, secret: string | undefined, need: CacheRight): Promise<CacheRecord> {
    const cache = await this.#liveCache(cacheName);
    const token = secret === undefined ? undefined : ((await this.authenticate(secret)) ?? 'invalid');
    checkCacheAccess(cacheName, cache, token, need);
    // checkCacheAccess returns only with a cache when the request may go on.
    return cache!;
  }

  /** For routes outside one cache: whether `token` may manage `cacheName` (or everything). */
  grants(token: TokenRecord, cacheName: string, need: CacheRight): boolean {
    return tokenGrants(token, cacheName, need);
  }

  // ---- the read protocol ----------------------------------------------------------------------

  nixCacheInfo(cache: CacheRecord): string {
    return renderNixCacheInfo({ storeDir: DEFAULT_STORE_DIR, wantMassQuery: true, priority: cache.priority });
  }

  /** The signed narinfo text, or undefined when the cache does not hold the path. */
  async narinfo(cacheName: string, hashPart: string): Promise<string | undefined> {
    if (!isStorePathHashPart(hashPart)) return undefined;
    const now = this.#clock();
    const memoKey = `${cacheName}/${hashPart}`;
    const memoized = this.#narinfos.get(memoKey, now);
    if (memoized !== undefined) {
      this.#counters.hit(cacheName, hashPart);
      return memoized;
    }
    const path = await this.#store.caches.getPath(cacheName, hashPart);
    if (!path) {
      this.#counters.miss(cacheName);
      return undefined;
    }
    const signer = await this.#signer(cacheName, now);
    const { sigs, added } = servedSignatures(path, signer);
    if (added) {
      // A key that signs since a rotation signed this path just now; keep that signature.
      this.#store.caches.setSignatures(cacheName, hashPart, sigs).catch((error: unknown) => {
        console.error(`kiln: storing signatures of ${path.storePath} failed:`, error);
      });
    }
    const text = renderServedNarInfo(path, sigs);
    this.#narinfos.set(memoKey, text, signer.validUntil);
    this.#counters.hit(cacheName, hashPart);
    return text;
  }

  /**
   * Opens a NAR file of the cache for reading. Undefined when the cache holds no path with that
   * NAR (a NAR stored for another cache is not readable here).
   */
  async openNar(
    cacheName: string,
    fileKey: string,
    rangeFor: (size: number) => ByteRange | undefined = () => undefined,
  ): Promise<ReadResult | undefined> {
    const nar = await this.#narByFileKey(fileKey);
    if (!nar || !(await this.#cacheHasNar(cacheName, nar.narHash))) return undefined;
    const result = await this.#storage.read(nar.fileKey, rangeFor(nar.fileSize));
    if (result) this.#counters.served(cacheName, result.range.end - result.range.start + 1);
    return result;
  }

  /** Whether NAR downloads are redirected (see narDownloadUrl). */
  get redirectsNarDownloads(): boolean {
    return this.#options.narRedirectSeconds !== undefined && this.#storage.downloadUrl !== undefined;
  }

  /**
   * A URL the NAR file of the cache can be downloaded from directly, valid for
   * `narRedirectSeconds`; undefined when the cache holds no such NAR. Counts the whole file as
   * served: the download happens elsewhere, so a ranged one cannot be told apart.
   */
  async narDownloadUrl(cacheName: string, fileKey: string): Promise<string | undefined> {
    const seconds = this.#options.narRedirectSeconds;
    const presign = this.#storage.downloadUrl?.bind(this.#storage);
    if (seconds === undefined || presign === undefined)
      throw new KilnError('KILN_ERR_INTERNAL', 'NAR download redirects are not enabled');
    const nar = await this.#narByFileKey(fileKey);
    if (!nar || !(await this.#cacheHasNar(cacheName, nar.narHash))) return undefined;
    const url = await presign(nar.fileKey, seconds);
    this.#counters.served(cacheName, nar.fileSize);
    return url;
  }

  /**
   * Size of the NAR file for a HEAD. A pusher also sees NARs recorded for other caches (under
   * any key they were uploaded as), so that Nix skips uploading what the warehouse has.
   */
  async narSize(cacheName: string, fileKey: string, pusher: boolean): Promise<number | undefined> {
    const nar = await this.#narByFileKey(fileKey);
    if (!nar) return undefined;
    if (!pusher && !(await this.#cacheHasNar(cacheName, nar.narHash))) return undefined;
    return nar.fileSize;
  }

  async openLog(cacheName: string, drv: string): Promise<ReadResult | undefined> {
    if (!isStoreBaseName(drv)) return undefined;
    return this.#storage.read(logKey(cacheName, drv));
  }

  // ---- the write protocol ---------------------------------------------------------------------

  /**
   * Receives a NAR file (see receiveNar for the checks). A NAR the warehouse already has, under
   * whatever name, is recorded as an alias and its new copy deleted: each NAR is stored once.
   */
  async putNar(
    cacheName: string,
    fileKey: string,
    body: AsyncIterable<Uint8Array>,
    signal?: AbortSignal,
  ): Promise<ReceivedNar & { duplicate: boolean }> {
    const { received } = await receiveNar(this.#storage, fileKey, body, {
      maxBytes: this.#options.maxUploadBytes,
      signal,
    });
    const { nar, created } = await this.#store.caches.putNar({
      narHash: received.narHash,
      narSize: received.narSize,
      fileKey: received.fileKey,
      compression: received.compression,
      fileHash: received.fileHash,
      fileSize: received.fileSize,
      createdAt: this.#clock(),
    });
    const duplicate = !created && nar.fileKey !== fileKey;
    if (duplicate) await this.#storage.delete(fileKey);
    this.#counters.uploaded(cacheName, received.fileSize);
    return { ...received, duplicate };
  }

  /** Records a path from its uploaded narinfo, after checking it against its NAR and the cache. */
  async putNarInfo(cacheName: string, hashPart: string, text: string): Promise<void> {
    if (!isStorePathHashPart(hashPart)) {
      throw new KilnError('KILN_ERR_VALIDATION', 'a narinfo is uploaded as <32-character hash>.narinfo');
    }
    const uploaded = parseUploadedNarInfo(text, hashPart);
    const nar = await this.#store.caches.getNarByFileKey(uploaded.narKey);
    if (!nar) {
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `the narinfo points to ${uploaded.narKey}, which was not uploaded: upload the NAR first`,
        { url: uploaded.narKey },
      );
    }
    const now = this.#clock();
    const unsigned = pathRecordFor(cacheName, hashPart, uploaded, nar, now);
    const signer = await this.#signer(cacheName, now);
    // Signed once, here; the signature is stored with the path and served as stored.
    const record = {
      ...unsigned,
      signatures: [...uploaderSignatures(unsigned.signatures, signer), ...signPath(unsigned, signer.keys)],
    };
    try {
      await this.#store.caches.putPath(record);
    } catch (error) {
      const missing = isKilnError(error) ? error.details?.['missing'] : undefined;
      if (!Array.isArray(missing)) throw error;
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        `${record.storePath} references paths that are not in cache ${cacheName}; upload them first: ${missing.join(' ')}`,
        { missing },
      );
    }
    this.#narinfos.delete(`${cacheName}/${hashPart}`);
  }

  async putLog(cacheName: string, drv: string, body: AsyncIterable<Uint8Array>, signal?: AbortSignal) {
    if (!isStoreBaseName(drv) || !drv.endsWith('.drv')) {
      throw new KilnError('KILN_ERR_VALIDATION', 'a build log is uploaded as log/<hash>-<name>.drv');
    }
    let size = 0;
    const limit = this.#options.maxUploadBytes;
    async function* limited(): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        size += chunk.length;
        if (size > limit) throw new KilnError('KILN_ERR_TOO_LARGE', `uploads are limited to ${limit} bytes`);
        yield chunk;
      }
    }
    await this.#storage.write(logKey(cacheName, drv), limited(), { signal });
  }

  async missingPaths(cacheName: string, hashes: readonly string[]): Promise<string[]> {
    for (const hash of hashes) {
      if (!isStorePathHashPart(hash)) {
        throw new KilnError('KILN_ERR_VALIDATION', 'store path hashes are 32 nix32 characters', {
          hash: hash.slice(0, 100),
        });
      }
    }
    return this.#store.caches.missingPaths(cacheName, hashes);
  }

  // ---- pins and housekeeping ------------------------------------------------------------------

  async pin(cacheName: string, hashPart: string): Promise<boolean> {
    if (!isStorePathHashPart(hashPart)) return false;
    return this.#store.caches.pin(cacheName, hashPart, this.#clock());
  }

  async unpin(cacheName: string, hashPart: string): Promise<boolean> {
    if (!isStorePathHashPart(hashPart)) return false;
    return this.#store.caches.unpin(cacheName, hashPart);
  }

  pins(cacheName: string): Promise<CachePin[]> {
    return this.#store.caches.pins(cacheName);
  }

  /** Drops what is memoized about a cache's paths and NARs (after garbage collection). */
  forgetPaths(cacheName: string): void {
    this.#narinfos.deletePrefix(`${cacheName}/`);
    this.#cacheNars.deletePrefix(`${cacheName}/`);
    // NARs are shared between caches, and collection deletes unreferenced ones of any cache.
    this.#nars.clear();
  }

  /** Counters and usage of every live cache (for metrics). */
  async allStats(): Promise<{ name: string; counters: CacheCounters; usage: CacheUsage }[]> {
    const caches = await this.listCaches();
    return Promise.all(
      caches.map(async (cache) => ({
        name: cache.name,
        counters: await this.#counters.totals(cache.name),
        usage: await this.#store.caches.usage(cache.name),
      })),
    );
  }

  /** Writes the buffered counters and access times to the store. */
  flush(): Promise<void> {
    return this.#counters.flush(this.#clock());
  }

  /** The counters of every cache with the not yet flushed part included. */
  counters(cacheName: string): Promise<CacheCounters> {
    return this.#counters.totals(cacheName);
  }

  // ---- internals ------------------------------------------------------------------------------

  async #narByFileKey(fileKey: string): Promise<NarRecord | undefined> {
    const now = this.#clock();
    const memoized = this.#nars.get(fileKey, now);
    if (memoized) return memoized;
    const nar = await this.#store.caches.getNarByFileKey(fileKey);
    if (nar) this.#nars.set(fileKey, nar, now + this.#recheckMs * 12);
    return nar;
  }

  async #cacheHasNar(cacheName: string, narHash: string): Promise<boolean> {
    const now = this.#clock();
    const key = `${cacheName}/${narHash}`;
    if (this.#cacheNars.get(key, now)) return true;
    const held = await this.#store.caches.cacheHasNar(cacheName, narHash);
    if (held) this.#cacheNars.set(key, true, now + this.#recheckMs * 12);
    return held;
  }

  async #liveCache(name: string, fresh = false): Promise<CacheRecord | undefined> {
    const now = this.#clock();
    if (!fresh) {
      const memoized = this.#caches.get(name, now);
      if (memoized !== undefined) return memoized;
    }
    const record = await this.#store.caches.get(name);
    const live = record && record.deletedAt === null ? record : undefined;
    // Missing caches are not memoized, so a cache created on another node shows up at once.
    if (live) this.#caches.set(name, live, now + this.#recheckMs);
    return live;
  }

  async #signer(cacheName: string, now: number): Promise<CacheSigner & { validUntil: number }> {
    const memoized = this.#signers.get(cacheName, now);
    if (memoized !== undefined) return memoized;
    const [all, signing] = await Promise.all([
      this.#store.caches.keys(cacheName),
      this.#store.caches.signingKeys(cacheName, now),
    ]);
    // Keys changed on another node show up within a minute at the latest.
    const validUntil = Math.min(now + this.#recheckMs * 12, keySetValidUntil(all, now));
    const signer = {
      keys: signing.map((record) => openCacheKey(this.#box, record)),
      ourNames: new Set(all.map((key) => key.keyName)),
      validUntil,
    };
    this.#signers.set(cacheName, signer, validUntil);
    return signer;
  }

  #forgetSigners(cacheName: string): void {
    this.#signers.delete(cacheName);
    this.#narinfos.deletePrefix(`${cacheName}/`);
  }
}
