import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { KilnError } from '../../errors/index.js';
import type { HashAlgo, NixHash } from '../../nar/index.js';

/**
 * Streams `url` (redirects followed) into `path`, hashing the bytes (`algo`) on the way: the flat
 * hash nix-prefetch-url reports. A non-2xx answer is KILN_ERR_FETCH "GET <url>: 404 Not Found"; so
 * is a connection or transfer failure. An abort rethrows its reason.
 */
export async function downloadToFile(
  url: string,
  path: string,
  algo: HashAlgo,
  signal?: AbortSignal,
): Promise<NixHash> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', ...(signal && { signal }) });
  } catch (error) {
    signal?.throwIfAborted();
    throw fetchError(url, error);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel().catch(() => undefined);
    throw new KilnError('KILN_ERR_FETCH', `GET ${url}: ${response.status} ${response.statusText}`.trimEnd(), {
      url,
      status: response.status,
    });
  }
  const hasher = createHash(algo);
  try {
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hasher.update(chunk);
          done(null, chunk);
        },
      }),
      createWriteStream(path, { flags: 'wx', mode: 0o600 }),
      ...(signal ? [{ signal }] : []),
    );
  } catch (error) {
    signal?.throwIfAborted();
    throw fetchError(url, error);
  }
  return { algo, digest: new Uint8Array(hasher.digest()) };
}

function fetchError(url: string, error: unknown): KilnError {
  // undici reports "fetch failed" and puts the reason (ECONNREFUSED, …) in the cause.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new KilnError('KILN_ERR_FETCH', `GET ${url}: ${reason}`, { url }, { cause: error });
}
