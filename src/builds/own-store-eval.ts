import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildRecord } from '../persistence/index.js';
import type { BuildRunner, RealiseResult } from './ports.js';

/** What a worker with its own store needs to evaluate a build again. */
export interface OwnStoreEvaluation {
  /** Evaluations happen in a directory under this one. */
  workspaceDir: string;
  /** The expression of template `name` at `version` with `values` (the record keeps those, not the text). */
  renderTemplate?:
    | ((
        name: string,
        values: Readonly<Record<string, string>>,
        version: string | undefined,
      ) => Promise<string>)
    | undefined;
}

/**
 * A worker with its own Nix store (nix.store) does not have the .drv files of an expression build:
 * the process that accepted the build (the API) evaluated it into its store. The worker evaluates
 * the stored expression again into its own; the same expression gives the same derivations.
 */
export async function evaluateInOwnStore(
  runner: Pick<BuildRunner, 'instantiate'>,
  build: BuildRecord,
  own: OwnStoreEvaluation,
  signal: AbortSignal,
  onLine: (stream: 'stdout' | 'stderr', text: string) => void,
): Promise<{ drvPaths: string[] } | { failure: RealiseResult }> {
  if (build.source.kind !== 'expr' && build.source.kind !== 'template') return { drvPaths: build.drvPaths };
  const dir = await mkdtemp(join(own.workspaceDir, `eval-${build.id}-`));
  try {
    const file = join(dir, 'default.nix');
    await writeFile(file, await expressionOf(build, own), { mode: 0o600 });
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
        message: `evaluating the ${build.source.kind === 'template' ? 'template' : 'expression'} in this worker's store failed: ${message}`,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The expression to evaluate: the stored one, or the template rendered again at the version built. */
async function expressionOf(build: BuildRecord, own: OwnStoreEvaluation): Promise<string> {
  const { source } = build;
  if (source.kind === 'expr') return source.expression;
  if (source.kind !== 'template' || !own.renderTemplate) {
    throw new Error(`this worker cannot evaluate ${source.kind} builds again`);
  }
  return own.renderTemplate(source.name, source.values, build.labels['kiln.template.version']);
}
