import type { BumpPlan } from '../args/index.js';
import { signalHook, writeJson, writeLine, type CliIo } from '../io.js';

/**
 * `kiln bump`: progress on stderr as it happens; on stdout the diff (`--dry-run`), the branch
 * (`--commit`) or what was written, or one JSON object with `--json`.
 */
export async function runBump(plan: BumpPlan, io: CliIo): Promise<number> {
  const { createPackagingTools } = await import('../../main/index.js');
  const tools = createPackagingTools();
  // Ctrl-C stops Nix and removes the private workspace; the file stays untouched.
  const controller = new AbortController();
  const unhook = signalHook(io)(() => controller.abort());
  const result = await tools
    .bump({
      file: plan.file,
      version: plan.version,
      ...(plan.entry ? { entry: plan.entry } : {}),
      ...(plan.attr ? { attr: plan.attr } : {}),
      ...(plan.systems ? { systems: plan.systems } : {}),
      ...(plan.verify ? { verify: plan.verify } : {}),
      ...(plan.branch ? { branch: plan.branch } : {}),
      commit: plan.commit,
      dryRun: plan.dryRun,
      onLog: (line) => writeLine(io.stderr, line),
      signal: controller.signal,
    })
    .finally(unhook);
  if (plan.json) {
    writeJson(io.stdout, result);
    return 0;
  }
  if (plan.dryRun) {
    io.stdout.write(result.diff);
    return 0;
  }
  for (const change of result.hashes) {
    const how = change.method === 'unchanged' ? `unchanged (${change.note ?? 'not used'})` : change.new;
    writeLine(io.stdout, `${change.path}: ${how}${change.verified ? ' [fresh fetch matched]' : ''}`);
  }
  if (result.branch) {
    writeLine(io.stdout, `branch ${result.branch.branch} at ${result.branch.commit}`);
  } else {
    writeLine(io.stdout, `updated ${result.file}: ${result.oldVersion} -> ${result.newVersion}`);
  }
  return 0;
}
