import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildRecord } from '../persistence/index.js';
import type { BuildRunner, RealiseResult } from './ports.js';

/**
 * A worker with its own Nix store (nix.store) does not have the .drv files of an expression build:
 * the process that accepted the build (the API) evaluated it into its store. The worker evaluates
 * the stored expression again into its own; the same expression gives the same derivations.
 */
export async function evaluateInOwnStore(
  runner: Pick<BuildRunner, 'instantiate'>,
  build: BuildRecord,
  workspaceDir: string,
  signal: AbortSignal,
  onLine: (stream: 'stdout' | 'stderr', text: string) => void,
): Promise<{ drvPaths: string[] } | { failure: RealiseResult }> {
  if (build.source.kind !== 'expr') return { drvPaths: build.drvPaths };
  const dir = await mkdtemp(join(workspaceDir, `eval-${build.id}-`));
  try {
    const file = join(dir, 'default.nix');
    await writeFile(file, build.source.expression, { mode: 0o600 });
    const drvPaths = await runner.instantiate({
      file,
      system: build.system ?? undefined,
      env: build.env,
      workDir: dir,
      signal,
      onLine,
    });
    return { drvPaths };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      failure: {
        status: signal.aborted ? 'cancelled' : 'failed',
        exitCode: null,
        reason: 'eval',
        message: `evaluating the expression in this worker's store failed: ${message}`,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
