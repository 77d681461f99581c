import { readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../../fsutil/index.js';
import { isHashAlgo, type HashAlgo, type NixHash } from '../../nar/index.js';
import type { HashMismatch, RealiseOptions, RealiseResult } from '../../runner/nix/index.js';
import {
  applyEdits,
  findHashAttributes,
  findVersion,
  parseNix,
  renderNixString,
} from '../syntax/nix-syntax.js';
import { commitFileOnBranch, type BranchCommit } from './commit.js';
import { unifiedDiff } from './diff.js';
import {
  bumpError,
  derivationOutputHash,
  describeHash,
  formatHash,
  placeholderFor,
  readHash,
  sameHash,
  type HashSlot,
} from './hash-slots.js';
import { commitMessage } from './message.js';
import {
  drvPathExpression,
  packageExpression,
  readSourceInfo,
  sourceInfoExpression,
  type SourceInfo,
} from './probe.js';
import { runSmokeCommand, type SmokeEvidence } from './smoke.js';
import type { BumpOptions, BumpResult, HashChange, HashMethod } from './types.js';
import { createWorkspace, type Workspace } from './workspace.js';

/** The Nix operations bump needs (NixRunner provides them). */
export interface BumpNix {
  evaluateJson(expr: string, options?: { system?: string; signal?: AbortSignal }): Promise<unknown>;
  realise(opts: RealiseOptions): Promise<RealiseResult>;
  showDerivations(drvPaths: readonly string[], signal?: AbortSignal): Promise<Record<string, unknown>>;
}

/** Fetches a source and hashes it as Nix would (kiln's TypeScript prefetch). */
export type SourcePrefetcher = (
  source: string,
  options: { unpack: boolean; algo: HashAlgo; rev?: string; signal?: AbortSignal },
) => Promise<{ hash: NixHash }>;

export interface BumpDependencies {
  nix: BumpNix;
  prefetch: SourcePrefetcher;
}

interface SlotState {
  readonly slot: HashSlot;
  /** The file's text for the value before the bump (a literal or an expression). */
  readonly originalText: string;
  readonly span: { readonly start: number; readonly end: number };
  value: string | undefined;
  pending: boolean;
  method: HashMethod;
  source?: string;
  drv?: string;
  verified: boolean;
  note?: string;
}

const MAX_VERSION_LENGTH = 200;

/**
 * `kiln bump`: sets the version, prefetches the new source, lets Nix report every other
 * fixed-output hash, re-fetches every hash the file sets (the stale-hash guard), builds, runs
 * the smoke command, and only then writes the file (or commits it on a new branch). Everything
 * happens in a private copy of the project; on any failure the original file is untouched.
 */
export async function bumpPackage(options: BumpOptions, deps: BumpDependencies): Promise<BumpResult> {
  const log = options.onLog ?? ((): void => undefined);
  const { signal } = options;
  checkVersion(options.version);
  const bytes = await readFile(options.file).catch((error: NodeJS.ErrnoException) => {
    throw bumpError(
      `cannot read ${options.file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
    );
  });
  const original = bytes.toString('utf8');
  if (!Buffer.from(original, 'utf8').equals(bytes)) throw bumpError(`${options.file} is not UTF-8 text`);
  const doc = parseNix(original);
  const versionSite = findVersion(doc);
  if (!versionSite?.literal || versionSite.literal.value === undefined) {
    throw bumpError(`${options.file} has no version attribute (a binding such as version = "1.2.3";)`, {
      file: options.file,
    });
  }
  const oldVersion = versionSite.literal.value;
  const states: SlotState[] = findHashAttributes(doc).map((site, index) => {
    const old = site.value;
    const { algo, style } = describeHash(old, site.name);
    return {
      slot: { index, path: site.path.join('.'), system: site.system, old, algo, style },
      originalText: original.slice(site.valueSpan.start, site.valueSpan.end),
      span: site.valueSpan,
      value: old,
      pending: true,
      method: 'unchanged',
      verified: false,
    };
  });

  const workspace = await createWorkspace(options.file, options.tmpDir);
  try {
    if (options.commit && !workspace.git) {
      throw bumpError(`--commit needs ${options.file} to be in a Git work tree`);
    }
    const versionSpans = [versionSite.valueSpan, ...versionSite.duplicates.map((d) => d.valueSpan)];
    const run = new BumpRun(options, deps, workspace, original, versionSpans, states, log);
    const label = relative(workspace.originalRoot, options.file);
    log(`bump ${label}: ${oldVersion} -> ${options.version}`);
    const outcome = await run.execute();
    const content = run.render();
    const diff = unifiedDiff(original, content, label);
    const hashes = states.map(toChange);
    const message = commitMessage({
      name: run.packageName ?? label,
      oldVersion,
      newVersion: options.version,
      hashes,
      outputs: outcome.outputs,
      verify: outcome.verify,
      systems: run.buildSystems,
    });
    let branch: BranchCommit | undefined;
    let written = false;
    if (options.dryRun) {
      log('dry run: nothing written');
    } else if (options.commit) {
      branch = await commitFileOnBranch({
        repo: workspace.originalRoot,
        file: options.file,
        content,
        branch:
          options.branch ??
          `kiln/bump-${branchPart(run.packageName ?? label)}-${branchPart(options.version)}`,
        message,
        signal,
      });
      log(`committed ${branch.commit.slice(0, 12)} on branch ${branch.branch}`);
    } else {
      const mode = (await stat(options.file)).mode & 0o777;
      await writeFileAtomic(options.file, content, mode);
      written = true;
      log(`wrote ${options.file}`);
    }
    return {
      file: options.file,
      oldVersion,
      newVersion: options.version,
      hashes,
      mismatches: run.mismatches,
      staleHashes: run.staleHashes,
      outputs: outcome.outputs,
      systems: run.buildSystems,
      ...(outcome.verify ? { verify: outcome.verify } : {}),
      diff,
      content,
      written,
      ...(branch ? { branch } : {}),
      message,
    };
  } finally {
    await workspace.dispose();
  }
}

function checkVersion(version: string): void {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (version === '' || version.length > MAX_VERSION_LENGTH || /[\u0000-\u001f"\\$]/.test(version)) {
    throw bumpError(
      `'${version}' is not a usable version (1–${MAX_VERSION_LENGTH} characters, no quotes, $ or control characters)`,
    );
  }
}

function branchPart(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'package';
}

function toChange(state: SlotState): HashChange {
  return {
    path: state.slot.path,
    system: state.slot.system,
    old: state.slot.old,
    new: state.value ?? state.originalText,
    method: state.method,
    ...(state.source ? { source: state.source } : {}),
    ...(state.drv ? { drv: state.drv } : {}),
    verified: state.verified,
    ...(state.note ? { note: state.note } : {}),
  };
}

/** One bump in its workspace: the state of every hash and the Nix rounds that settle them. */
class BumpRun {
  readonly mismatches: HashMismatch[] = [];
  readonly staleHashes: string[] = [];
  buildSystems: string[] = [];
  packageName: string | undefined;
  readonly #file: string;
  readonly #pkg: string;
  readonly #resultDir: string;

  constructor(
    private readonly options: BumpOptions,
    private readonly deps: BumpDependencies,
    workspace: Workspace,
    private readonly original: string,
    private readonly versionSpans: readonly { readonly start: number; readonly end: number }[],
    private readonly states: SlotState[],
    private readonly log: (line: string) => void,
  ) {
    this.#file = workspace.map(options.file);
    this.#pkg = packageExpression(workspace.map(options.entry ?? options.file), options.attr);
    this.#resultDir = join(workspace.root, '.kiln-bump-result');
  }

  /** The file with the new version and every hash's current value. */
  render(): string {
    return applyEdits(this.original, [
      ...this.versionSpans.map((span) => ({ span, text: renderNixString(this.options.version) })),
      ...this.states.map((s) => ({
        span: s.span,
        text: s.value === undefined ? s.originalText : renderNixString(s.value),
      })),
    ]);
  }

  async execute(): Promise<{ outputs: string[]; verify?: SmokeEvidence }> {
    const nix = this.deps.nix;
    const host = await nix.evaluateJson('builtins.currentSystem', { signal: this.options.signal });
    if (typeof host !== 'string') throw bumpError('cannot tell which system this machine builds for');
    this.buildSystems = [...new Set(this.options.systems ?? [host])];
    this.#assignPlaceholders();
    await this.#sync();
    await this.#prefetchSources();
    const rounds = this.options.maxRounds ?? this.states.length + 3;
    for (let guardPass = 0; ; guardPass++) {
      const built = await this.#discover(rounds);
      this.#restoreUnused();
      await this.#sync();
      const stale = await this.#guard(built.drvs);
      if (!stale) {
        const verify = this.options.verify ? await this.#verify(this.options.verify) : undefined;
        return { outputs: built.outputs, ...(verify ? { verify } : {}) };
      }
      if (guardPass >= 2) {
        throw bumpError('hashes kept changing between fresh fetches; the sources are not reproducible');
      }
    }
  }

  #assignPlaceholders(): void {
    const pending = this.states.filter((s) => s.pending);
    for (const s of pending) s.value = placeholderFor(s.slot, pending.length);
  }

  async #sync(): Promise<void> {
    await writeFileAtomic(this.#file, this.render());
  }

  /** Per evaluated system: the src hash slot is found by its unique placeholder, then prefetched. */
  async #prefetchSources(): Promise<void> {
    const systems = new Set([
      ...this.buildSystems,
      ...this.states.flatMap((s) => (s.slot.system ? [s.slot.system] : [])),
    ]);
    for (const system of systems) {
      const info = readSourceInfo(
        await this.deps.nix.evaluateJson(sourceInfoExpression(this.#pkg), {
          system,
          signal: this.options.signal,
        }),
      );
      if (!info) continue;
      const state = this.#slotHolding(info.outputHash, info.outputHashAlgo, (s) => s.pending);
      if (!state) {
        this.log(`src (${system}): its hash is not set in this file; left to Nix`);
        continue;
      }
      const fetched = await this.#prefetch(info, state.slot.algo);
      if (!fetched) continue;
      state.value = formatHash(fetched.hash, state.slot.style);
      state.pending = false;
      state.method = 'prefetch';
      state.source = fetched.source;
      this.log(`${state.slot.path} = ${state.value} (prefetched ${fetched.source})`);
    }
    this.#assignPlaceholders();
    await this.#sync();
  }

  async #prefetch(info: SourceInfo, algo: HashAlgo): Promise<{ hash: NixHash; source: string } | null> {
    const { signal } = this.options;
    if (info.rev !== null && info.urls.length === 1 && !info.fetchSubmodules) {
      const url = info.urls[0]!;
      return {
        ...(await this.deps.prefetch(url, { unpack: true, algo, rev: info.rev, signal })),
        source: `${url} at ${info.rev}`,
      };
    }
    if (info.rev !== null || info.urls.length === 0) return null; // submodules or unknown fetcher: Nix reports it
    const unpack = info.outputHashMode === 'recursive';
    let lastError: unknown;
    for (const url of info.urls) {
      try {
        return { ...(await this.deps.prefetch(url, { unpack, algo, signal })), source: url };
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  /** The slot whose current value is this hash; undefined when none; an error when several. */
  #slotHolding(
    text: string | null,
    algoName: string | null,
    filter: (s: SlotState) => boolean,
  ): SlotState | undefined {
    const candidates = this.states.filter((s) => {
      if (!filter(s)) return false;
      const algo = algoName && isHashAlgo(algoName) ? algoName : s.slot.algo;
      return sameHash(readHash(text, algo), readHash(s.value ?? null, s.slot.algo));
    });
    if (candidates.length > 1) {
      throw bumpError(
        `hash ${text} is set by several attributes (${candidates.map((c) => c.slot.path).join(', ')}) and Nix does not say which one it means`,
      );
    }
    return candidates[0];
  }

  /** Builds until Nix stops reporting hash mismatches; each report settles one slot. */
  async #discover(rounds: number): Promise<{ outputs: string[]; drvs: string[] }> {
    for (let round = 1; round <= rounds; round++) {
      const drvs = await this.#instantiate();
      const pending = this.states.filter((s) => s.pending).length;
      this.log(`build round ${round}: ${drvs.length} derivation(s), ${pending} hash(es) to discover`);
      const result = await this.deps.nix.realise({
        drvPaths: drvs,
        keepGoing: true,
        gcRootPrefix: join(this.#resultDir, 'result'),
        timeoutSeconds: this.options.buildTimeoutSeconds ?? 1800,
        maxSilentSeconds: 0,
        signal: this.options.signal,
      });
      if (result.status === 'succeeded') return { outputs: result.outputs, drvs };
      const reported = result.hashMismatches ?? [];
      if (reported.length === 0)
        throw bumpError(`the build failed: ${result.message}`, { reason: result.reason });
      // One shared hash (a vendorHash for every system) is reported once per system built.
      const settled = new Map<string, { state: SlotState; got: string }>();
      for (const mismatch of reported) {
        const earlier = settled.get(mismatch.specified);
        if (!earlier) {
          settled.set(mismatch.specified, { state: this.#settle(mismatch), got: mismatch.got });
        } else if (earlier.got === mismatch.got) {
          this.mismatches.push(mismatch);
        } else {
          throw bumpError(
            `${earlier.state.slot.path} differs between systems (${earlier.got} and ${mismatch.got} for ${mismatch.drv}); it needs one hash per system`,
            { ...mismatch },
          );
        }
      }
      this.#assignPlaceholders();
      await this.#sync();
    }
    throw bumpError(`the build still failed after ${rounds} rounds of hash discovery`);
  }

  #settle(mismatch: HashMismatch): SlotState {
    const state = this.#slotHolding(mismatch.specified, null, () => true);
    if (!state) {
      throw bumpError(
        `hash mismatch in ${mismatch.drv}, whose hash this file does not set (specified ${mismatch.specified}, got ${mismatch.got})`,
        { ...mismatch },
      );
    }
    this.#applyReport(state, mismatch);
    return state;
  }

  /** Nix's `got` becomes the slot's value. */
  #applyReport(state: SlotState, mismatch: HashMismatch): void {
    const got = readHash(mismatch.got, state.slot.algo);
    if (!got) throw bumpError(`Nix reported an unreadable hash '${mismatch.got}' for ${mismatch.drv}`);
    this.mismatches.push(mismatch);
    state.value = formatHash(got, state.slot.style);
    state.pending = false;
    state.method = 'nix';
    state.drv = mismatch.drv;
    state.verified = false;
    this.log(
      `${state.slot.path} = ${state.value} (Nix built ${mismatch.drv}: specified ${mismatch.specified}, got ${mismatch.got})`,
    );
  }

  async #instantiate(): Promise<string[]> {
    const drvs: string[] = [];
    for (const system of this.buildSystems) {
      const drv = await this.deps.nix.evaluateJson(drvPathExpression(this.#pkg), {
        system,
        signal: this.options.signal,
      });
      if (typeof drv !== 'string') throw bumpError('the package did not evaluate to a derivation');
      drvs.push(drv);
    }
    if (this.packageName === undefined) {
      const name = await this.deps.nix.evaluateJson(
        `(${this.#pkg}).pname or (builtins.parseDrvName (${this.#pkg}).name).name`,
        {
          signal: this.options.signal,
        },
      );
      if (typeof name === 'string') this.packageName = name;
    }
    return drvs;
  }

  /** Placeholders no build ever reached: the hash is not used here; its old value stays. */
  #restoreUnused(): void {
    for (const s of this.states.filter((x) => x.pending)) {
      s.value = s.slot.old;
      s.pending = false;
      s.method = 'unchanged';
      s.note = `not used when building for ${this.buildSystems.join(', ')}`;
      this.log(`${s.slot.path}: ${s.note}; left as it was`);
    }
  }

  /**
   * The stale-hash guard: every fixed-output derivation in the build whose hash the file sets is
   * fetched again (`nix-store --realise --check`), so no hash passes because an old store path
   * with that hash happens to exist. Returns true when a hash was wrong (and corrected).
   */
  async #guard(drvs: readonly string[]): Promise<boolean> {
    const derivations = await this.deps.nix.showDerivations(drvs, this.options.signal);
    // Several attributes may hold the same hash (two systems, one tarball): a per-system
    // attribute belongs to the derivations of its system; a shared one to all of them.
    const targets = new Map<string, SlotState[]>();
    const batches: Map<string, string>[] = [];
    for (const [drv, value] of Object.entries(derivations)) {
      const parsed = value as {
        system?: unknown;
        outputs?: Record<string, { path?: unknown; hashAlgo?: unknown; hash?: unknown }>;
      };
      const out = parsed.outputs?.['out'];
      const hash = derivationOutputHash(out?.hashAlgo, out?.hash);
      if (!hash) continue;
      const holders = this.states.filter(
        (s) =>
          s.value !== undefined &&
          (s.slot.system === undefined || s.slot.system === parsed.system) &&
          sameHash(hash, readHash(s.value, s.slot.algo)),
      );
      if (holders.length === 0) continue;
      targets.set(drv, holders);
      // One nix-store must not check two derivations with the same output path (it waits for
      // its own lock forever), so those go in separate runs.
      const path = typeof out?.path === 'string' ? out.path : drv;
      const batch = batches.find((b) => !b.has(path));
      if (batch) batch.set(path, drv);
      else batches.push(new Map([[path, drv]]));
    }
    if (targets.size === 0) return false;
    this.log(`stale-hash guard: fetching ${targets.size} fixed-output derivation(s) again`);
    const reported: HashMismatch[] = [];
    for (const batch of batches) {
      const result = await this.deps.nix.realise({
        drvPaths: [...batch.values()],
        check: true,
        keepGoing: true,
        timeoutSeconds: this.options.buildTimeoutSeconds ?? 1800,
        maxSilentSeconds: 0,
        signal: this.options.signal,
      });
      if (result.status === 'succeeded') continue;
      if (!result.hashMismatches?.length) {
        throw bumpError(`the stale-hash guard could not fetch again: ${result.message}`);
      }
      reported.push(...result.hashMismatches);
    }
    if (reported.length === 0) {
      for (const [drv, holders] of targets) {
        for (const state of holders) {
          state.verified = true;
          state.drv ??= drv;
        }
      }
      return false;
    }
    for (const mismatch of reported) {
      const holders = targets.get(mismatch.drv) ?? [];
      if (holders.length !== 1) {
        throw bumpError(
          `the stale-hash guard found ${mismatch.drv} stale, but ${holders.length === 0 ? 'no attribute' : holders.map((h) => h.slot.path).join(' and ')} of this file holds its hash`,
          { ...mismatch },
        );
      }
      const state = holders[0]!;
      this.staleHashes.push(state.slot.path);
      this.log(`stale-hash guard: ${state.slot.path} was stale`);
      this.#applyReport(state, mismatch);
    }
    await this.#sync();
    return true;
  }

  async #verify(command: string): Promise<SmokeEvidence> {
    this.log(`verify: $ ${command}`);
    const evidence = await runSmokeCommand(command, this.#resultDir, { signal: this.options.signal });
    for (const line of evidence.output) this.log(`  ${line}`);
    if (evidence.exitCode !== 0) {
      const how = evidence.timedOut ? 'timed out' : `exited with ${evidence.exitCode}`;
      const said = evidence.output.slice(-5).join(' | ');
      throw bumpError(`the verify command '${command}' ${how}${said ? `: ${said}` : ''}`, {
        exitCode: evidence.exitCode,
      });
    }
    return evidence;
  }
}
