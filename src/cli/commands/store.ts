import type { StorePlan } from '../args/index.js';
import { writeJson, writeLine, type CliIo } from '../io.js';
import { formatBytes } from '../render/bytes.js';

/** `kiln store optimise`: hard-links identical files in this machine's Nix store, in-process. */
export async function runStore(plan: StorePlan, io: CliIo): Promise<number> {
  const { NixCacheService } = await import('../../library/index.js');
  const service = await NixCacheService.open({ dataDir: plan.dataDir });
  try {
    const result = await service.optimiseStore();
    if (plan.json) writeJson(io.stdout, result);
    else {
      const freed =
        result.bytesFreed === null ? 'no figure reported' : `${formatBytes(result.bytesFreed)} freed`;
      writeLine(io.stdout, `optimised the Nix store in ${(result.durationMs / 1000).toFixed(1)} s: ${freed}`);
    }
    return 0;
  } finally {
    await service.close();
  }
}
