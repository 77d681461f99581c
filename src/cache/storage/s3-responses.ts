import { Readable } from 'node:stream';
import { KilnError } from '../../errors/index.js';

/** What S3 says for a missing object: NoSuchKey on GET, a bare 404 (NotFound) on HEAD. */
export function isNotFound(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'NoSuchKey' || error.name === 'NotFound' || httpStatusOf(error) === 404)
  );
}

/** 416: the range starts at or past the end of the object. */
export function isInvalidRange(error: unknown): boolean {
  return error instanceof Error && (error.name === 'InvalidRange' || httpStatusOf(error) === 416);
}

function httpStatusOf(error: Error): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

/** The span a GetObject answered with, from its Content-Range (`bytes 10-19/1000`) or its length. */
export function servedSpan(
  contentRange: string | undefined,
  contentLength: number | undefined,
): { start: number; end: number; size: number } {
  if (contentRange !== undefined) {
    const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange.trim());
    if (match === null)
      throw new KilnError('KILN_ERR_INTERNAL', 'object storage sent an unreadable Content-Range', {
        contentRange,
      });
    return { start: Number(match[1]), end: Number(match[2]), size: Number(match[3]) };
  }
  if (contentLength === undefined)
    throw new KilnError('KILN_ERR_INTERNAL', 'object storage sent neither Content-Range nor Content-Length');
  return { start: 0, end: contentLength - 1, size: contentLength };
}

/** The body of a GetObject as a Node stream (it is one in Node; anything else is a bug). */
export function bodyStream(body: unknown): Readable {
  if (body instanceof Readable) return body;
  throw new KilnError('KILN_ERR_INTERNAL', 'object storage returned a body that is not a Node stream');
}
