/** One store path of a closure being pushed, as `nix path-info --json` describes it. */
export interface PushPathInfo {
  /** Full store path, `/nix/store/<hash>-<name>`. */
  path: string;
  /** `sha256:<nix32>`, whatever form Nix printed. */
  narHash: string;
  narSize: number;
  /** Full store paths (a path may reference itself). */
  references: string[];
  /** Full path of the deriver `.drv`, if known. */
  deriver?: string | undefined;
  ca?: string | undefined;
  signatures: string[];
}

/** An answer from the server: the status and the body as text. */
export interface TransportResponse {
  status: number;
  text: string;
}

/** A request body the transport may have to send more than once (retries): bytes or a re-openable stream. */
export type PutBody =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'stream'; length: number; open: () => AsyncIterable<Uint8Array> };

/**
 * How the engine talks to a kiln server. Paths are absolute on the server (`/cache/NAME/...`,
 * `/api/v1/...`). A rejected promise means the request never got an answer (connection refused,
 * reset, timeout) and is retried; every HTTP answer, 4xx and 5xx included, resolves.
 */
export interface PushTransport {
  postJson(path: string, body: unknown, signal: AbortSignal): Promise<TransportResponse>;
  put(path: string, body: PutBody, contentType: string, signal: AbortSignal): Promise<TransportResponse>;
}

/** Where the NARs come from: Nix's store by default (see nix-source.ts), replaceable in tests. */
export interface PushSource {
  /** Every path of the closures of `paths`, each once. */
  closure(paths: readonly string[], signal: AbortSignal): Promise<PushPathInfo[]>;
  /** The NAR serialisation of `path` (`nix-store --dump`). */
  dump(path: string, signal: AbortSignal): AsyncIterable<Uint8Array>;
}

export type PushProgress =
  | { type: 'closure'; paths: number }
  | { type: 'missing'; missing: number; present: number }
  | { type: 'nar-uploaded'; path: string; fileSize: number; narSize: number }
  | { type: 'path-pushed'; path: string; done: number; total: number }
  | { type: 'retry'; what: string; attempt: number; error: string };

export interface PushOptions {
  cache: string;
  /** Store paths whose closures are pushed. */
  paths: readonly string[];
  transport: PushTransport;
  source: PushSource;
  /** NARs compressed and uploaded at once (default 8). */
  jobs?: number | undefined;
  /** Compressed NARs up to this size stay in memory; larger ones spill to a temp file (default 64 MiB). */
  memoryLimitBytes?: number | undefined;
  /** Where spilled NARs go (default: the OS temp directory). */
  tempDir?: string | undefined;
  /** Attempts for a request that got no answer or a 5xx (default 3). */
  attempts?: number | undefined;
  /** First retry delay; doubled for each further attempt (default 500 ms). */
  retryDelayMs?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((event: PushProgress) => void) | undefined;
}

export interface PushSummary {
  cache: string;
  /** Paths in the closures asked for. */
  closure: number;
  /** Paths uploaded by this push. */
  pushed: number;
  /** Paths the cache already had. */
  alreadyPresent: number;
  /** Compressed bytes sent. */
  bytesUploaded: number;
  /** Uncompressed NAR bytes of the pushed paths. */
  narBytes: number;
  seconds: number;
  /** The paths uploaded, in the order their narinfos went up. */
  pushedPaths: string[];
}
