import type { MatrixNix, NixEvent, RealiseResult } from '../runner/nix/index.js';
import type { LogStream } from '../persistence/index.js';

/**
 * What the builds context needs from a build runner. NixRunner satisfies it; the port keeps the
 * service testable and lets other runners (remote workers) slot in later.
 */
export interface RealiseRequest {
  drvPaths: string[];
  gcRootPrefix: string;
  timeoutSeconds: number;
  maxSilentSeconds: number;
  signal: AbortSignal;
  onEvent(event: NixEvent): void;
  onLine(stream: LogStream, text: string): void;
  onSpawn(pid: number, startTime: string): void;
}

export type { RealiseResult };

export interface BuildRunner {
  parseCheck(file: string, signal?: AbortSignal): Promise<void>;
  instantiate(request: {
    file: string;
    /** Attribute path to select (`-A` syntax). */
    attr?: string | undefined;
    system?: string | undefined;
    env: Record<string, string>;
    workDir: string;
    signal?: AbortSignal;
    onLine?: ((stream: 'stdout' | 'stderr', text: string) => void) | undefined;
  }): Promise<string[]>;
  parseCheckMany(files: readonly string[], signal?: AbortSignal): Promise<PromiseSettledResult<void>[]>;
  instantiateMany(
    requests: readonly {
      file: string;
      system?: string | undefined;
      env: Record<string, string>;
      workDir: string;
    }[],
    signal?: AbortSignal,
  ): Promise<PromiseSettledResult<string[]>[]>;
  realise(request: RealiseRequest): Promise<RealiseResult>;
  closureSize(paths: string[], signal?: AbortSignal): Promise<number>;
  closureSizes(
    pathSets: readonly (readonly string[])[],
    signal?: AbortSignal,
  ): Promise<PromiseSettledResult<number>[]>;
}

/** What pushing a build's outputs did; `pushed` lists only the paths uploaded by this push. */
export interface PushReport {
  pushed: string[];
  alreadyPresent: number;
  bytesUploaded: number;
  narBytes: number;
  seconds: number;
}

/**
 * Pushes the closure of `paths` to the cache `cache` (the warehouse, wired in src/main). Lines
 * for the build log go to `onLine`; a failure rejects with a message fit for the build's error.
 */
export type PushOutputs = (
  cache: string,
  paths: readonly string[],
  signal: AbortSignal,
  onLine: (text: string) => void,
) => Promise<PushReport>;

/** Kills a process tree left behind by a crashed server, if it is still the same process. */
export type OrphanKiller = (pid: number, startTime: string | null) => Promise<void>;

/** What a matrix (flake outputs) evaluation needs of Nix: strict JSON evaluation and show-derivation. */
export type MatrixRunner = MatrixNix;

/**
 * Which of `storePaths` the cache `cache` has (the warehouse's narinfos, wired in src/main). A
 * narinfo is only accepted after its references', so a path it has comes with its closure.
 */
export type CachedPaths = (cache: string, storePaths: readonly string[]) => Promise<Set<string>>;
