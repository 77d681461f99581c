import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { KilnError } from '../errors/index.js';
import { writeFileAtomic } from '../fsutil/index.js';

export const MASTER_KEY_BYTES = 32;

export interface MasterKey {
  /** Derived from the key (not secret); names the key inside ciphertexts. */
  readonly id: string;
  readonly key: Uint8Array;
}

/**
 * The id is a hash of the key rather than a counter, so the same key file always yields the same
 * id and no extra state is needed to find the right key after a rotation. The domain prefix keeps
 * the hash from being useful for anything else.
 */
export function masterKeyFromBytes(key: Uint8Array): MasterKey {
  if (key.length !== MASTER_KEY_BYTES) {
    throw new KilnError('KILN_ERR_CONFIG', `a master key must be exactly ${MASTER_KEY_BYTES} bytes`, {
      length: key.length,
    });
  }
  const id = createHash('sha256').update('kiln-secrets-key-id\0').update(key).digest('hex').slice(0, 16);
  return { id, key: Uint8Array.from(key) };
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

async function readKeyFile(path: string): Promise<MasterKey> {
  const info = await stat(path);
  if (!info.isFile()) {
    throw new KilnError('KILN_ERR_CONFIG', `the master key file ${path} is not a regular file`, { path });
  }
  // A key others can read protects nothing; refuse rather than silently tighten, so the operator learns.
  if ((info.mode & 0o077) !== 0) {
    throw new KilnError(
      'KILN_ERR_CONFIG',
      `the master key file ${path} is accessible by group or others (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 on it`,
      { path, mode: (info.mode & 0o777).toString(8) },
    );
  }
  const bytes = await readFile(path);
  if (bytes.length !== MASTER_KEY_BYTES) {
    throw new KilnError(
      'KILN_ERR_CONFIG',
      `the master key file ${path} must hold exactly ${MASTER_KEY_BYTES} bytes, not ${bytes.length}`,
      { path, length: bytes.length },
    );
  }
  return masterKeyFromBytes(bytes);
}

/**
 * Reads the master key from `path`, creating it (32 random bytes, mode 0600, written atomically)
 * when the file does not exist yet. Refuses a key file readable by group or others.
 */
export async function loadOrCreateMasterKey(path: string): Promise<MasterKey> {
  try {
    return await readKeyFile(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  await writeFileAtomic(path, randomBytes(MASTER_KEY_BYTES), 0o600);
  // Read back instead of returning our bytes: if another process created the file concurrently,
  // the rename that landed last is the key everyone will use from now on.
  return readKeyFile(path);
}
