import type { ServeNixOptions, ServePlan } from '../args/index.js';
import { signalHook, writeLine, type CliIo, type ShutdownSignal } from '../io.js';

/**
 * `kiln serve`: starts the whole server through the one entry point the lead owns and stops it on
 * SIGINT/SIGTERM. Imported lazily so client commands never load server code.
 */
export async function runServe(plan: ServePlan, io: CliIo): Promise<number> {
  const { startKilnServer, databaseTarget, describeDatabase } = await import('../../main/index.js');
  const server = await startKilnServer({
    dataDir: plan.dataDir,
    host: plan.host,
    port: plan.port,
    ...(plan.concurrency === undefined ? {} : { concurrency: plan.concurrency }),
    config: {
      ...(Object.keys(plan.nix).length > 0 && serveNixConfig(plan.nix)),
      ...(plan.role !== undefined && { role: plan.role }),
      ...(plan.databaseUrl !== undefined && { database: { url: plan.databaseUrl } }),
    },
  });
  writeLine(io.stdout, `kiln listening on ${server.url}`);
  // Which database (a URL's password is never shown): several servers must name the same one.
  writeLine(io.stdout, `database: ${describeDatabase(databaseTarget(server.kiln.config))}`);
  if (server.kiln.plan.http === 'full') writeLine(io.stdout, `admin token: ${server.adminTokenPath}`);
  else writeLine(io.stdout, `role: ${server.kiln.config.role}`);

  let removeSignal: () => void = () => undefined;
  const signal = await new Promise<ShutdownSignal>((resolve) => {
    removeSignal = signalHook(io)(resolve);
  });
  removeSignal();
  writeLine(io.stderr, `${signal}: shutting down`);
  await server.close();
  return 0;
}

/** `--nix-store`, `--builders`, `--substituter`, `--trusted-public-key` as configuration. */
function serveNixConfig(nix: ServeNixOptions): {
  nix: { store?: string; builders?: string };
  cache: { substituters?: string[]; trustedPublicKeys?: string[] };
} {
  return {
    nix: {
      ...(nix.store !== undefined && { store: nix.store }),
      ...(nix.builders !== undefined && { builders: nix.builders }),
    },
    cache: {
      ...(nix.substituters !== undefined && { substituters: nix.substituters }),
      ...(nix.trustedPublicKeys !== undefined && { trustedPublicKeys: nix.trustedPublicKeys }),
    },
  };
}
