import { realpath } from 'node:fs/promises';
import type { PushProgress, PushSummary } from '../../cache/index.js';
import { isKilnError, KilnError } from '../../errors/index.js';
import type { PushPlan } from '../args/index.js';
import { resolveConnection } from '../connection.js';
import { ApiError } from '../errors.js';
import { signalHook, writeJson, writeLine, type CliIo } from '../io.js';
import { formatBytes } from '../render/bytes.js';

const STORE_PATH = /^\/nix\/store\/[0123456789abcdfghijklmnpqrsvwxyz]{32}-[^/]+$/;

/**
 * `kiln push CACHE PATH...`: uploads the closures of the paths to a cache of the server. Progress
 * goes to stderr so that `--json` leaves stdout to the summary alone.
 */
export async function runPush(plan: PushPlan, io: CliIo): Promise<number> {
  const paths = await Promise.all(plan.paths.map(resolveStorePath));
  const { server, token } = resolveConnection(plan.client, io);
  // Loaded here, not at start-up: the other commands do not need the push engine.
  const { httpPushTransport, nixPushSource, pushClosure } = await import('../../cache/index.js');
  const transport = httpPushTransport({ server, token });
  const stop = new AbortController();
  const removeSignal = signalHook(io)((signal) => stop.abort(new KilnError('KILN_ERR_INTERNAL', signal)));
  let summary: PushSummary;
  try {
    summary = await pushClosure({
      cache: plan.cache,
      paths,
      transport,
      source: nixPushSource(),
      jobs: plan.jobs,
      signal: stop.signal,
      onProgress: (event) => reportProgress(io, plan.cache, event),
    });
  } catch (error) {
    throw asApiError(error);
  } finally {
    removeSignal();
    transport.close();
  }
  if (plan.json) writeJson(io.stdout, summary);
  else writeLine(io.stdout, summaryLine(summary));
  return 0;
}

async function resolveStorePath(given: string): Promise<string> {
  let resolved: string;
  try {
    resolved = await realpath(given);
  } catch {
    throw new KilnError('KILN_ERR_FILE_NOT_FOUND', `${given} does not exist`, { path: given });
  }
  if (!STORE_PATH.test(resolved)) {
    throw new KilnError('KILN_ERR_VALIDATION', `${given} is not a store path (it resolves to ${resolved})`, {
      path: given,
    });
  }
  return resolved;
}

/** A 4xx from the server is bad input (exit code 2), like for every other command. */
function asApiError(error: unknown): unknown {
  if (!isKilnError(error)) return error;
  const status = error.details?.['status'];
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ApiError(status, error.code, error.message);
  }
  return error;
}

function reportProgress(io: CliIo, cache: string, event: PushProgress): void {
  switch (event.type) {
    case 'missing':
      writeLine(io.stderr, `pushing ${event.missing} path(s) to ${cache} (${event.present} already there)`);
      return;
    case 'path-pushed':
      writeLine(io.stderr, `[${event.done}/${event.total}] ${event.path}`);
      return;
    case 'retry':
      writeLine(io.stderr, `retrying ${event.what} (attempt ${event.attempt}): ${event.error}`);
      return;
    default:
      return;
  }
}

export function summaryLine(summary: PushSummary): string {
  const sent =
    summary.pushed === 0
      ? 'nothing to push'
      : `pushed ${summary.pushed} path(s), ${formatBytes(summary.bytesUploaded)} compressed (${formatBytes(summary.narBytes)} NAR)`;
  return `${sent} to ${summary.cache} in ${summary.seconds.toFixed(1)} s; ${summary.alreadyPresent} already present`;
}
