import { createFsStorage, createS3Storage, type ObjectStorage } from '../cache/index.js';
import type { KilnConfig } from '../config/index.js';

/** The warehouse's object storage as configured, with what the rest of the wiring needs of it. */
export interface WarehouseStorage {
  readonly storage: ObjectStorage;
  /** Seconds NAR download redirects stay valid; undefined: NARs are streamed through kiln. */
  readonly narRedirectSeconds: number | undefined;
  /** Only the filesystem keeps temporary files of crashed uploads to sweep. */
  readonly sweepTemporaryFiles: ((olderThanMs: number) => Promise<number>) | undefined;
  close(): void;
}

export function createWarehouseStorage(cache: KilnConfig['cache']): WarehouseStorage {
  const settings = cache.storage;
  if (settings.kind === 'fs') {
    const storage = createFsStorage(cache.storageDir);
    return {
      storage,
      narRedirectSeconds: undefined,
      sweepTemporaryFiles: (olderThanMs) => storage.sweepTemporaryFiles(olderThanMs),
      close: () => undefined,
    };
  }
  const storage = createS3Storage({
    endpoint: settings.endpoint,
    region: settings.region,
    bucket: settings.bucket,
    prefix: settings.prefix,
    forcePathStyle: settings.forcePathStyle,
    ...(settings.accessKeyId === ''
      ? {}
      : { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } }),
    multipartThresholdBytes: settings.multipartThresholdBytes,
    partSizeBytes: settings.partSizeBytes,
  });
  return {
    storage,
    narRedirectSeconds: settings.presignDownloads ? settings.presignExpirySeconds : undefined,
    sweepTemporaryFiles: undefined,
    close: () => storage.close(),
  };
}
