import type { PrefetchPlan } from '../args/index.js';
import { KilnError } from '../../errors/index.js';
import { signalHook, writeJson, writeLine, type CliIo } from '../io.js';

/** `kiln prefetch`: computed in this process (no server), like `kiln store`. */
export async function runPrefetch(plan: PrefetchPlan, io: CliIo): Promise<number> {
  const { prefetch } = await import('../../packaging/index.js');
  // Ctrl-C aborts the download or clone, so prefetch can remove its temporary files.
  const controller = new AbortController();
  const stopListening = signalHook(io)((signal) =>
    controller.abort(new KilnError('KILN_ERR_INTERNAL', `prefetch interrupted by ${signal}`)),
  );
  try {
    const result = await prefetch(plan.source, {
      unpack: plan.unpack,
      algo: plan.algo,
      signal: controller.signal,
      ...(plan.name !== undefined && { name: plan.name }),
      ...(plan.rev !== undefined && { rev: plan.rev }),
    });
    if (!plan.json) {
      writeLine(io.stdout, result.sri);
      return 0;
    }
    writeJson(io.stdout, {
      hash: result.sri,
      sri: result.sri,
      nix32: result.nix32,
      hex: result.hex,
      base64: result.base64,
      algo: result.algo,
      method: result.method,
      name: result.name,
      storePath: result.storePath,
      source: result.source,
    });
    return 0;
  } finally {
    stopListening();
  }
}
