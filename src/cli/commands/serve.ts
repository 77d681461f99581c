import type { ServePlan } from '../args/index.js';
import { signalHook, writeLine, type CliIo, type ShutdownSignal } from '../io.js';

/**
 * `kiln serve`: starts the whole server through the one entry point the lead owns and stops it on
 * SIGINT/SIGTERM. Imported lazily so client commands never load server code.
 */
export async function runServe(plan: ServePlan, io: CliIo): Promise<number> {
  const { startKilnServer } = await import('../../main/index.js');
  const server = await startKilnServer({
    dataDir: plan.dataDir,
    host: plan.host,
    port: plan.port,
    ...(plan.concurrency === undefined ? {} : { concurrency: plan.concurrency }),
  });
  writeLine(io.stdout, `kiln listening on ${server.url}`);
  writeLine(io.stdout, `admin token: ${server.adminTokenPath}`);

  let removeSignal: () => void = () => undefined;
  const signal = await new Promise<ShutdownSignal>((resolve) => {
    removeSignal = signalHook(io)(resolve);
  });
  removeSignal();
  writeLine(io.stderr, `${signal}: shutting down`);
  await server.close();
  return 0;
}
