import { mkdtemp, mkdir, readlink, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { KilnError } from '../../errors/index.js';
import { runSupervised, type SupervisedResult } from '../../process/index.js';
import {
  buildEnv,
  evalArgs,
  instantiateArgs,
  parseArgs,
  showDerivationArgs,
  pathInfoArgs,
  checkValidityArgs,
  realiseArgs,
  versionArgs,
  type NixInvocation,
  type NixSettings,
} from './args.js';
import { callNix, failureText, isShowTraceHint, spawnFailure, type NixCallResult } from './exec.js';
import { createInternalJsonParser, type NixEvent } from './internal-json.js';
import { positionOf, requireFile, validateEnv } from './checks.js';
import type { NixMachine } from './machines.js';
import { LogTail, classifyFailure, type RealiseResult } from './outcome.js';
import { parseHashMismatches } from './hash-mismatch.js';
import { closureSizesFromPathInfo, sumClosureNarSize } from './path-info.js';
import {
  WRAPPER_ARGS_FILE,
  WRAPPER_DIR,
  WRAPPER_FILE,
  splitAttrPath,
  wrapperArgsJson,
  wrapperSource,
} from './wrapper.js';

export interface NixRunnerOptions {
  /** Directory holding nix, nix-store and nix-instantiate. */
  binDir: string;
  sandbox: boolean;
  sandboxShell: string;
  extraPlatforms: readonly string[];
  /** NIX_PATH for evaluations; empty leaves it unset. */
  nixPath?: string;
  cores: number;
  maxJobs: number;
  /** Binary caches (default none: everything is built locally). */
  substituters?: readonly string[];
  /** Keys the substituted paths must be signed with (default: nix.conf's). */
  trustedPublicKeys?: readonly string[];
  /** Nix's `--store` for every command: a worker's own store; absent or empty: the machine's. */
  store?: string;
  /** Nix's `builders` (machines text or `@FILE`, see machines.ts); absent or empty: local builds only. */
  builders?: string;
  /** The checked machines behind `builders` (for reporting; Nix reads `builders` itself). */
  builderMachines?: readonly NixMachine[];
  /** `builders-use-substitutes` when there are builders (default true). */
  buildersUseSubstitutes?: boolean;
  /** NIX_SSHOPTS for the builders' ssh, e.g. `-p 2222`. */
  sshOptions?: string;
  /** HOME of Nix processes (its caches live there); default the current user's home. */
  home?: string;
  /** SIGTERM → SIGKILL grace when a build is cancelled or times out (default 2000 ms). */
  killGraceMs?: number;
  /**
   * Added to our wall-clock limit so that, when a single derivation hits the limit, Nix's own
   * `--timeout` (which names the derivation) normally fires first; ours stays the backstop for
   * the total time of multi-derivation builds (default 1000 ms).
   */
  wallClockSlackMs?: number;
  /** Limit for parse checks and evaluations (default 10 minutes). */
  evalTimeoutMs?: number;
}

export type LogLineStream = 'stdout' | 'stderr' | 'build';

export interface InstantiateOptions {
  /** The user's expression (absolute, or relative to the current directory). */
  file: string;
  /** Attribute path to select, in `-A` syntax (`a.b.0`). */
  attr?: string | undefined;
  /** Evaluation platform (`--option system`); `builtins.currentSystem` follows it. */
  system?: string | undefined;
  /** Variables injected into every top-level derivation. */
  env: Readonly<Record<string, string>>;
  /** The wrapper and its arguments are written to a `.kiln-eval` directory inside it. */
  workDir: string;
  signal?: AbortSignal | undefined;
  /** Warnings and `builtins.trace` output of the evaluation. */
  onLine?: ((stream: LogLineStream, text: string) => void) | undefined;
}

export interface RealiseOptions {
  drvPaths: readonly string[];
  /** GC roots are created as PREFIX, PREFIX-2, …; the parent directory is created if needed. */
  gcRootPrefix?: string | undefined;
  /** Total time budget, also passed to Nix as its per-derivation `--timeout`; 0 = none. */
  timeoutSeconds: number;
  /** Nix's `--max-silent-time`; 0 = none. */
  maxSilentSeconds: number;
  /** `--keep-going`: build what can be built, so one run reports every failure. */
  keepGoing?: boolean | undefined;
  /** `--check`: rebuild valid outputs and compare; for fixed outputs, a fresh fetch. */
  check?: boolean | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: ((event: NixEvent) => void) | undefined;
  /** Human-readable lines: builder output as `build`, Nix's messages and stray stderr as `stderr`. */
  onLine?: ((stream: LogLineStream, text: string) => void) | undefined;
  /** The nix-store pid and its /proc start time (field 22; '' if unreadable), for crash recovery. */
  onSpawn?: ((pid: number, startTime: string) => void) | undefined;
}

export type { RealiseResult } from './outcome.js';

/** Marks the boundary between submissions in a batched evaluation; it is only instantiated, never built. */
const BATCH_SEPARATOR_NAME = 'kiln-batch-separator';
const BATCH_SEPARATOR_FILE = 'kiln-batch-separator.nix';
const BATCH_SEPARATOR_SOURCE = `derivation { name = "${BATCH_SEPARATOR_NAME}"; system = "x86_64-linux"; builder = "/bin/sh"; kilnMarker = "2c1f0e7a"; }\n`;
const ADD_ROOT_WARNING = /you did not specify '--add-root'/;
/** path-info prints the whole closure as one JSON line; allow it to be large. */
const PATH_INFO_MAX_LINE = 256 * 1024 * 1024;
/**
 * Nix's log lines can be long (a builder printing a huge line); cut them at 4 MiB. The pieces of
 * such a line are no longer valid JSON and arrive as `raw` events, which is the best that can be
 * done without unbounded memory.
 */
const REALISE_MAX_LINE = 4 * 1024 * 1024;

/** Runs the real Nix (nix-instantiate, nix-store, nix) with kiln's settings on every call. */
export class NixRunner {
  readonly #binDir: string;
  readonly #settings: NixSettings;
  readonly #env: Record<string, string>;
  readonly #killGraceMs: number;
  readonly #wallClockSlackMs: number;
  readonly #evalTimeoutMs: number;
  readonly #builderMachines: readonly NixMachine[];

  constructor(options: NixRunnerOptions) {
    this.#binDir = options.binDir;
    this.#settings = {
      sandbox: options.sandbox,
      sandboxShell: options.sandboxShell,
      extraPlatforms: [...options.extraPlatforms],
      cores: options.cores,
      maxJobs: options.maxJobs,
      substituters: [...(options.substituters ?? [])],
      trustedPublicKeys: [...(options.trustedPublicKeys ?? [])],
      store: options.store ?? '',
      builders: options.builders ?? '',
      buildersUseSubstitutes: options.buildersUseSubstitutes ?? true,
    };
    // Validate the settings now rather than on the first build.
    parseArgs(this.#binDir, this.#settings, '/dev/null');
    this.#env = buildEnv({
      binDir: options.binDir,
      home: options.home ?? homedir(),
      nixPath: options.nixPath,
      sshOptions: options.sshOptions,
    });
    this.#killGraceMs = options.killGraceMs ?? 2000;
    this.#wallClockSlackMs = options.wallClockSlackMs ?? 1000;
    this.#evalTimeoutMs = options.evalTimeoutMs ?? 10 * 60 * 1000;
    this.#builderMachines = [...(options.builderMachines ?? [])];
  }

  /** The store this runner builds into ('' for the machine's). */
  get store(): string {
    return this.#settings.store ?? '';
  }

  /** The remote builders Nix may send builds to (empty: local builds only). */
  get builderMachines(): readonly NixMachine[] {
    return this.#builderMachines;
  }

  /** Whether builds here run in the sandbox (after `auto` was resolved). */
  get sandbox(): boolean {
    return this.#settings.sandbox;
  }

  /** Syntax check without evaluation; throws KILN_ERR_EXPR_PARSE with Nix's message. */
  async parseCheck(file: string, signal?: AbortSignal): Promise<void> {
    const path = resolve(file);
    await requireFile(path);
    // The AST on stdout is of no interest (and as large as the expression): don't collect it.
    const call = await this.#call(parseArgs(this.#binDir, this.#settings, path), signal, undefined, {});
    if (call.process.exitCode === 0) return;
    if (call.process.timedOut) {
      throw new KilnError(
        'KILN_ERR_EXPR_PARSE',
        `parsing took longer than ${this.#evalTimeoutMs / 1000} seconds`,
      );
    }
    throw new KilnError(
      'KILN_ERR_EXPR_PARSE',
      failureText(call, 'nix-instantiate --parse'),
      positionOf(call),
    );
  }

  /**
   * Parses several files with one process. When any of them fails, each is checked on its own so
   * that every file gets its own verdict and message.
   */
  async parseCheckMany(
    files: readonly string[],
    signal?: AbortSignal,
  ): Promise<PromiseSettledResult<void>[]> {
    if (files.length > 1) {
      const paths = files.map((f) => resolve(f));
      const call = await this.#call(parseArgs(this.#binDir, this.#settings, paths), signal, undefined, {});
      if (call.process.exitCode === 0) return paths.map(() => ({ status: 'fulfilled', value: undefined }));
    }
    return Promise.allSettled(files.map((f) => this.parseCheck(f, signal)));
  }

  /**
   * Evaluates several submissions with one nix-instantiate per system: a burst of submissions costs
   * a few processes instead of one each. The wrappers are separated by a marker derivation so the
   * printed .drv paths can be told apart; any failure (or any doubt about the split) falls back to
   * evaluating each on its own, so results never depend on what else was in the batch.
   */
  async instantiateMany(
    items: readonly InstantiateOptions[],
    signal?: AbortSignal,
  ): Promise<PromiseSettledResult<string[]>[]> {
    const results: PromiseSettledResult<string[]>[] = new Array<PromiseSettledResult<string[]>>(items.length);
    const bySystem = new Map<string, number[]>();
    items.forEach((item, index) => {
      const key = item.system ?? '';
      bySystem.set(key, [...(bySystem.get(key) ?? []), index]);
    });
    await Promise.all(
      [...bySystem.values()].map(async (indexes) => {
        const batched =
          indexes.length > 1
            ? await this.#instantiateBatch(
                indexes.map((i) => items[i]!),
                signal,
              )
            : null;
        if (batched) {
          indexes.forEach((index, k) => (results[index] = { status: 'fulfilled', value: batched[k]! }));
          return;
        }
        const single = await Promise.allSettled(
          indexes.map((i) => this.instantiate({ ...items[i]!, signal })),
        );
        indexes.forEach((index, k) => (results[index] = single[k]!));
      }),
    );
    return results;
  }

  /** One process for many wrappers; null when the batch as a whole failed or could not be split. */
  async #instantiateBatch(
    items: readonly InstantiateOptions[],
    signal?: AbortSignal,
  ): Promise<string[][] | null> {
    let wrappers: string[];
    try {
      wrappers = await Promise.all(items.map((item) => this.#prepareWrapper(item)));
    } catch {
      return null;
    }
    const separator = join(dirname(wrappers[0]!), BATCH_SEPARATOR_FILE);
    await writeFile(separator, BATCH_SEPARATOR_SOURCE);
    const files = wrappers.flatMap((w, i) => (i === 0 ? [w] : [separator, w]));
    const invocation = instantiateArgs(this.#binDir, this.#settings, {
      file: files,
      system: items[0]!.system,
    });
    const call = await this.#call(invocation, signal, undefined);
    if (call.process.exitCode !== 0) return null;
    const groups: string[][] = [[]];
    for (const line of nonEmpty(call.stdout)) {
      if (line.endsWith(`-${BATCH_SEPARATOR_NAME}.drv`)) groups.push([]);
      else groups[groups.length - 1]!.push(line);
    }
    if (groups.length !== items.length || groups.some((g) => g.length === 0)) return null;
    return groups;
  }

  /** Writes kiln's wrapper and its arguments next to the user's file; returns the wrapper's path. */
  async #prepareWrapper(opts: InstantiateOptions): Promise<string> {
    const file = resolve(opts.file);
    validateEnv(opts.env);
    let attrPath: string[];
    try {
      attrPath = splitAttrPath(opts.attr);
    } catch (error) {
      throw new KilnError('KILN_ERR_VALIDATION', (error as Error).message, { attr: opts.attr });
    }
    await requireFile(file);
    // A directory of our own, so the wrapper can never overwrite a user file of the same name.
    const workDir = join(resolve(opts.workDir), WRAPPER_DIR);
    await mkdir(workDir, { recursive: true });
    await writeFile(
      join(workDir, WRAPPER_ARGS_FILE),
      wrapperArgsJson({ file, attrPath, env: { ...opts.env } }),
    );
    const wrapper = join(workDir, WRAPPER_FILE);
    await writeFile(wrapper, wrapperSource());
    return wrapper;
  }

  /** Evaluates the user's file through kiln's wrapper and returns the .drv paths (maybe `drv!output`). */
  async instantiate(opts: InstantiateOptions): Promise<string[]> {
    const wrapper = await this.#prepareWrapper(opts);
    const invocation = instantiateArgs(this.#binDir, this.#settings, { file: wrapper, system: opts.system });
    const call = await this.#call(invocation, opts.signal, (text) => {
      // Eval has no root to add: the build that follows creates the roots that matter.
      if (!ADD_ROOT_WARNING.test(text)) opts.onLine?.('stderr', text);
    });
    if (call.process.timedOut) {
      throw new KilnError(
        'KILN_ERR_EXPR_EVAL',
        `evaluation took longer than ${this.#evalTimeoutMs / 1000} seconds`,
      );
    }
    if (call.process.exitCode !== 0) {
      throw new KilnError('KILN_ERR_EXPR_EVAL', failureText(call, 'nix-instantiate'), positionOf(call));
    }
    const drvPaths = call.stdout.map((l) => l.trim()).filter((l) => l !== '');
    if (drvPaths.length === 0) {
      throw new KilnError('KILN_ERR_EXPR_EVAL', 'the expression does not contain any derivation');
    }
    return drvPaths;
  }

  /** Builds the derivations. Build problems are results, not exceptions; only a Nix that cannot start throws. */
  async realise(opts: RealiseOptions): Promise<RealiseResult> {
    if (opts.gcRootPrefix) await mkdir(dirname(opts.gcRootPrefix), { recursive: true });
    const invocation = realiseArgs(this.#binDir, this.#settings, {
      drvPaths: opts.drvPaths,
      gcRoot: opts.gcRootPrefix,
      timeoutSeconds: opts.timeoutSeconds,
      maxSilentSeconds: opts.maxSilentSeconds,
      keepGoing: opts.keepGoing,
      check: opts.check,
    });
    const parser = createInternalJsonParser();
    const tail = new LogTail();
    const errors: string[] = [];
    const rawTail: string[] = [];
    const stdout: string[] = [];
    const onLine = opts.onLine ?? (() => undefined);

    const onStderrLine = (line: string): void => {
      for (const event of parser.push(line)) {
        opts.onEvent?.(event);
        switch (event.type) {
          case 'log-line':
            tail.add(event.drvPath, event.text);
            onLine('build', event.text);
            break;
          case 'message':
            onLine('stderr', event.text);
            break;
          case 'error':
            if (isShowTraceHint(event)) break;
            errors.push(event.text);
            onLine('stderr', `error: ${event.detail}`);
            break;
          case 'raw':
            if (event.text.trim() === '') break;
            rawTail.push(event.text);
            if (rawTail.length > 10) rawTail.shift();
            onLine('stderr', event.text);
            break;
          default:
            break;
        }
      }
    };

    let proc: SupervisedResult;
    try {
      proc = await runSupervised({
        command: invocation.command,
        args: invocation.args,
        env: this.#env,
        signal: opts.signal,
        timeoutMs: opts.timeoutSeconds > 0 ? opts.timeoutSeconds * 1000 + this.#wallClockSlackMs : undefined,
        killGraceMs: this.#killGraceMs,
        maxLineChars: REALISE_MAX_LINE,
        onStdoutLine: (line) => {
          stdout.push(line);
          onLine('stdout', line);
        },
        onStderrLine,
        onSpawn: (pid, startTime) => opts.onSpawn?.(pid, startTime ?? ''),
      });
    } catch (error) {
      if (error instanceof KilnError) throw error;
      // A throwing callback is the caller's bug and surfaces as-is; a spawn failure is a Nix problem.
      if (isSpawnError(error)) throw spawnFailure(invocation, error);
      throw error;
    }

    if (proc.exitCode === 0 && !proc.aborted && !proc.timedOut) {
      return {
        status: 'succeeded',
        outputs: opts.gcRootPrefix ? await followRoots(stdout) : nonEmpty(stdout),
      };
    }
    const failure = classifyFailure({
      exitCode: proc.exitCode,
      wallClockTimedOut: proc.timedOut,
      aborted: proc.aborted,
      timeoutSeconds: opts.timeoutSeconds,
      errors,
      rawTail,
      tail,
    });
    const hashMismatches = parseHashMismatches([...errors, ...rawTail]);
    return hashMismatches.length > 0 ? { ...failure, hashMismatches } : failure;
  }

  /**
   * Evaluates an expression strictly and returns its JSON value. `drvPath`s it mentions are
   * written to the store, so they can be realised next.
   */
  async evaluateJson(
    expr: string,
    options: { system?: string; signal?: AbortSignal } = {},
  ): Promise<unknown> {
    const invocation = evalArgs(this.#binDir, this.#settings, { expr, system: options.system });
    const call = await this.#call(invocation, options.signal, undefined, {
      collectStdout: true,
      maxLineChars: PATH_INFO_MAX_LINE,
    });
    if (call.process.timedOut) {
      throw new KilnError(
        'KILN_ERR_EXPR_EVAL',
        `evaluation took longer than ${this.#evalTimeoutMs / 1000} seconds`,
      );
    }
    if (call.process.exitCode !== 0) {
      throw new KilnError(
        'KILN_ERR_EXPR_EVAL',
        failureText(call, 'nix-instantiate --eval'),
        positionOf(call),
      );
    }
    try {
      return JSON.parse(call.stdout.join('\n')) as unknown;
    } catch (error) {
      throw new KilnError(
        'KILN_ERR_NIX',
        `unexpected output from nix-instantiate --eval: ${(error as Error).message}`,
      );
    }
  }

  /** `nix show-derivation --recursive`: every derivation in the closures of `drvPaths`, by path. */
  async showDerivations(drvPaths: readonly string[], signal?: AbortSignal): Promise<Record<string, unknown>> {
    if (drvPaths.length === 0) return {};
    const call = await this.#call(
      showDerivationArgs(this.#binDir, this.#settings, drvPaths),
      signal,
      undefined,
      {
        collectStdout: true,
        maxLineChars: PATH_INFO_MAX_LINE,
      },
    );
    if (call.process.exitCode !== 0) {
      throw new KilnError(
        'KILN_ERR_NIX',
        `nix show-derivation failed: ${failureText(call, 'nix show-derivation')}`,
      );
    }
    try {
      const parsed = JSON.parse(call.stdout.join('\n')) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      return parsed as Record<string, unknown>;
    } catch (error) {
      throw new KilnError(
        'KILN_ERR_NIX',
        `unexpected output from nix show-derivation: ${(error as Error).message}`,
      );
    }
  }

  /** Whether every path is valid in the store (so a cached result can still be used). */
  async pathsValid(paths: readonly string[], signal?: AbortSignal): Promise<boolean> {
    if (paths.length === 0) return true;
    const call = await this.#call(checkValidityArgs(this.#binDir, paths, this.#settings), signal, undefined, {
      collectStdout: true,
    });
    return call.process.exitCode === 0 && call.stdout.every((line) => line.trim() === '');
  }

  /** Bytes of the closure of all the paths together, each store path counted once (NAR sizes). */
  async closureSize(paths: readonly string[], signal?: AbortSignal): Promise<number> {
    if (paths.length === 0) return 0;
    const call = await this.#call(pathInfoArgs(this.#binDir, this.#settings, paths), signal, undefined, {
      collectStdout: true,
      maxLineChars: PATH_INFO_MAX_LINE,
    });
    if (call.process.exitCode !== 0) {
      throw new KilnError('KILN_ERR_NIX', `nix path-info failed: ${failureText(call, 'nix path-info')}`);
    }
    try {
      return sumClosureNarSize(call.stdout.join('\n'));
    } catch (error) {
      throw new KilnError(
        'KILN_ERR_NIX',
        `unexpected output from nix path-info: ${(error as Error).message}`,
      );
    }
  }

  /**
   * Closure sizes of several builds' outputs with one `nix path-info` over their union; falls back
   * to one query per set if the joint query fails (say, one path is not valid).
   */
  async closureSizes(
    pathSets: readonly (readonly string[])[],
    signal?: AbortSignal,
  ): Promise<PromiseSettledResult<number>[]> {
    const union = [...new Set(pathSets.flat())];
    if (pathSets.length > 1 && union.length > 0) {
      const call = await this.#call(pathInfoArgs(this.#binDir, this.#settings, union), signal, undefined, {
        collectStdout: true,
        maxLineChars: PATH_INFO_MAX_LINE,
      });
      if (call.process.exitCode === 0) {
        try {
          const sizes = closureSizesFromPathInfo(call.stdout.join('\n'), pathSets);
          return sizes.map((value) => ({ status: 'fulfilled', value }));
        } catch {
          // Fall through to one query per set, which reports the problem precisely.
        }
      }
    }
    return Promise.allSettled(pathSets.map((paths) => this.closureSize(paths, signal)));
  }

  /** The Nix version, e.g. "2.8.0". */
  async version(signal?: AbortSignal): Promise<string> {
    const invocation = versionArgs(this.#binDir);
    const call = await this.#call(invocation, signal, undefined, { collectStdout: true });
    const text = call.stdout.join(' ');
    const match = /(\d+\.\d+(?:\.\d+)?\S*)\s*$/.exec(text.trim());
    if (call.process.exitCode !== 0 || !match?.[1]) {
      throw new KilnError(
        'KILN_ERR_NIX',
        `cannot determine the Nix version: ${failureText(call, 'nix-store')}`,
      );
    }
    return match[1];
  }

  /**
   * Whether sandboxed builds work on this machine: builds a tiny derivation (with a nonce, so it
   * really builds) with the sandbox forced on and no fallback. Used to resolve `sandbox: auto`.
   */
  static async probeSandbox(opts: {
    binDir: string;
    sandboxShell: string;
    store?: string;
    home?: string;
    signal?: AbortSignal;
  }): Promise<boolean> {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-sandbox-probe-'));
    try {
      const runner = new NixRunner({ ...opts, sandbox: true, extraPlatforms: [], cores: 1, maxJobs: 1 });
      const file = join(dir, 'probe.nix');
      const nonce = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      await writeFile(
        file,
        `derivation { name = "kiln-sandbox-probe"; system = builtins.currentSystem; builder = "/bin/sh"; ` +
          `args = [ "-c" "echo ok > $out" ]; nonce = ${JSON.stringify(nonce)}; }\n`,
      );
      const drvPaths = await runner.instantiate({ file, env: {}, workDir: dir, signal: opts.signal });
      const result = await runner.realise({
        drvPaths,
        timeoutSeconds: 60,
        maxSilentSeconds: 0,
        signal: opts.signal,
      });
      return result.status === 'succeeded';
    } catch {
      return false;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  #call(
    invocation: NixInvocation,
    signal: AbortSignal | undefined,
    onMessage?: (text: string) => void,
    extra: { collectStdout?: boolean; maxLineChars?: number } = { collectStdout: true },
  ): Promise<NixCallResult> {
    return callNix(invocation, {
      env: this.#env,
      signal,
      timeoutMs: this.#evalTimeoutMs,
      // These commands start no builders of their own (barring import-from-derivation, which the
      // descendant sweep still covers), so there is little to wait for after SIGTERM.
      killGraceMs: Math.min(this.#killGraceMs, 500),
      onMessage,
      ...extra,
    }).then((call) => {
      // An aborted call is not a Nix failure: surface the caller's reason, as fetch() does.
      if (call.process.aborted) signal?.throwIfAborted();
      return call;
    });
  }
}

function nonEmpty(lines: readonly string[]): string[] {
  return lines.map((l) => l.trim()).filter((l) => l !== '');
}

/**
 * With --add-root, nix-store prints the root links instead of the store paths; follow them (only
 * then: an output may itself be a symlink, which must not be followed).
 */
async function followRoots(lines: readonly string[]): Promise<string[]> {
  return Promise.all(nonEmpty(lines).map((root) => readlink(root)));
}

function isSpawnError(error: unknown): boolean {
  return error instanceof Error && 'syscall' in error && String(error.syscall).startsWith('spawn');
}
