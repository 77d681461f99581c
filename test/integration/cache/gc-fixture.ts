import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createFsStorage, type FsObjectStorage } from '../../../src/cache/index.js';
import { encodeNix32 } from '../../../src/nar/index.js';
import { openSqliteStore, type NarRecord, type Store } from '../../../src/persistence/index.js';
import { tempDir } from '../../helpers/tmp.js';

export const DAY = 86_400_000;

/** A real SQLite store and filesystem storage in a temporary directory, closed after the test. */
export async function gcWorld(
  t: TestContext,
): Promise<{ store: Store; storage: FsObjectStorage; dir: string }> {
  const dir = tempDir(t, 'kiln-gc-');
  const store = openSqliteStore(join(dir, 'kiln.db'));
  t.after(() => store.close());
  await store.migrate();
  return { store, storage: createFsStorage(join(dir, 'warehouse')), dir };
}

export async function createCache(store: Store, name: string, retentionDays: number | null): Promise<void> {
  await store.caches.create(
    { name, private: false, priority: 40, retentionDays, createdAt: 0 },
    {
      cacheName: name,
      keyName: `${name}-1`,
      publicKey: `${name}-1:${Buffer.alloc(32, 1).toString('base64')}`,
      secretKeyCiphertext: 'v1:not-a-real-secret',
      createdAt: 0,
      activatedAt: 0,
      retiresAt: null,
    },
  );
}

const sha = (text: string | Buffer): Buffer => createHash('sha256').update(text).digest();

/** A valid-looking 32-character nix-base32 store path hash for a label. */
export const hashOf = (label: string): string => encodeNix32(sha(`path:${label}`).subarray(0, 20));
export const baseNameOf = (label: string): string => `${hashOf(label)}-${label}`;
export const storePathOf = (label: string): string => `/nix/store/${baseNameOf(label)}`;

/** Writes a NAR file to storage and records it, as an upload would. */
export async function putNarFile(
  store: Store,
  storage: FsObjectStorage,
  label: string,
  createdAt: number,
): Promise<NarRecord> {
  const bytes = Buffer.from(`nix-archive-1 of ${label} `.repeat(40));
  const fileHash = encodeNix32(sha(bytes));
  const nar: NarRecord = {
    narHash: `sha256:${encodeNix32(sha(`nar:${label}`))}`,
    narSize: bytes.length,
    fileKey: `nar/${fileHash}.nar`,
    compression: 'none',
    fileHash: `sha256:${fileHash}`,
    fileSize: bytes.length,
    createdAt,
  };
  await storage.write(nar.fileKey, chunksOf(bytes));
  return (await store.caches.putNar(nar)).nar;
}

/** Records a path (its NAR first, unless `nar` is given) last used `ageDays` before `now`. */
export async function putPath(
  world: { store: Store; storage: FsObjectStorage },
  cacheName: string,
  label: string,
  opts: { now: number; ageDays: number; refs?: string[]; nar?: NarRecord },
): Promise<NarRecord> {
  const at = opts.now - opts.ageDays * DAY;
  const nar = opts.nar ?? (await putNarFile(world.store, world.storage, label, at));
  await world.store.caches.putPath({
    cacheName,
    storePathHash: hashOf(label),
    storePath: storePathOf(label),
    narHash: nar.narHash,
    narSize: nar.narSize,
    references: (opts.refs ?? []).map(baseNameOf),
    deriver: null,
    ca: null,
    signatures: [],
    createdAt: at,
    lastAccessedAt: at,
  });
  return nar;
}

export async function* chunksOf(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  yield bytes;
}
