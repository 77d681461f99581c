import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { repoRoot } from './paths.js';
import { tempDir } from './tmp.js';

/**
 * A test package for `kiln bump` (the README's example in examples/bump), buildable by the real Nix without nixpkgs: its source is a
 * release tarball fetched by a fixed-output derivation (`fetchzip`, busybox wget + tar), and its
 * "vendor" dependency is a second fixed-output derivation that downloads the files the source's
 * deps.txt lists, like Go's vendor directory. Both fetch from a local release server.
 */
export const LIB_NIX = readFileSync(join(repoRoot, 'examples', 'bump', 'lib.nix'), 'utf8');

export interface PackageHashes {
  src: string;
  vendor: string;
}

/** package.nix: one source and one vendor hash, a comment that quotes the vendor hash. */
export function packageNix(base: string, version: string, hashes: PackageHashes): string {
  return `# hello: the test package kiln bump updates.
let lib = import ./lib.nix; in
lib.mkPackage rec {
  pname = "hello";
  version = "${version}";
  base = "${base}";

  src = lib.fetchzip {
    url = "\${base}/hello-\${version}.tar.gz";
    hash = "${hashes.src}"; # the release tarball
  };

  # previous vendorHash: ${hashes.vendor}
  vendorHash = "${hashes.vendor}";
}
`;
}

export interface Release {
  version: string;
  /** Dependency file names the release's deps.txt lists. */
  deps: string[];
  /**
   * Per-system tarballs `/hello-VERSION-SYSTEM.tar.gz`: system → a label put in main.txt. Two
   * systems with the same label get identical trees, hence the same hash.
   */
  systems?: Record<string, string>;
  /** Serve garbage instead of a tarball. */
  corrupt?: boolean;
  /** After this many requests for the tarball, serve a different one ("re-released"). */
  replacedAfter?: number;
}

export interface ReleaseServer {
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Serves release tarballs (`/hello-VERSION.tar.gz`, made with GNU tar) and dependency files
 * (`/deps/NAME`, whose content names itself) from a temp dir on 127.0.0.1.
 */
export async function startReleaseServer(
  t: TestContext,
  releases: readonly Release[],
): Promise<ReleaseServer> {
  const root = tempDir(t, 'kiln-releases-');
  const tarball = (file: string, version: string, main: string, deps: readonly string[]): void => {
    const top = `hello-${version}`;
    const dir = join(root, 'src', file, top);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.txt'), `${main}\n`);
    writeFileSync(join(dir, 'deps.txt'), deps.map((d) => `${d}\n`).join(''));
    execFileSync('tar', ['-czf', join(root, file), '-C', join(root, 'src', file), top]);
  };
  const replaced = new Map<string, { after: number; served: number }>();
  for (const release of releases) {
    const file = `hello-${release.version}.tar.gz`;
    if (release.corrupt) writeFileSync(join(root, file), 'this is not a tarball\n');
    else tarball(file, release.version, `main ${release.version}`, release.deps);
    if (release.replacedAfter !== undefined) {
      tarball(`${file}.replacement`, release.version, `main ${release.version} re-released`, release.deps);
      replaced.set(`/${file}`, { after: release.replacedAfter, served: 0 });
    }
    for (const [system, label] of Object.entries(release.systems ?? {})) {
      const name = `hello-${release.version}-${system}.tar.gz`;
      tarball(name, release.version, `main ${release.version} ${label}`, release.deps);
    }
  }
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.push(path);
    let body: Buffer | undefined;
    const dep = /^\/deps\/([A-Za-z0-9._-]+)$/.exec(path);
    try {
      if (dep?.[1]) body = Buffer.from(`dependency ${dep[1]}\n`);
      else if (/^\/hello-[A-Za-z0-9._-]+\.tar\.gz$/.test(path)) {
        const swap = replaced.get(path);
        const replace = swap !== undefined && swap.served++ >= swap.after;
        body = readFileSync(join(root, replace ? `${path.slice(1)}.replacement` : path.slice(1)));
      }
    } catch {
      body = undefined;
    }
    if (!body) {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
  t.after(close);
  return { url, requests, close };
}

const NIX = ['--extra-experimental-features', 'nix-command'];

const run = promisify(execFile);

/**
 * What `nix-prefetch-url --unpack` says about a URL, in SRI form. Asynchronous: the release
 * server runs in this process, so a synchronous child would deadlock it.
 */
export async function nixPrefetchUnpack(url: string): Promise<string> {
  const { stdout } = await run('nix-prefetch-url', ['--unpack', url], { encoding: 'utf8' });
  const sri = await run('nix', [...NIX, 'hash', 'to-sri', `sha256:${stdout.trim()}`], { encoding: 'utf8' });
  return sri.stdout.trim();
}

/** The true hashes of a release, computed by the real Nix: the unpacked tarball and the vendor dir. */
export async function releaseHashes(
  t: TestContext,
  server: ReleaseServer,
  release: Release,
): Promise<PackageHashes> {
  const src = await nixPrefetchUnpack(`${server.url}/hello-${release.version}.tar.gz`);
  const vendorDir = join(tempDir(t, 'kiln-vendor-'), 'vendor');
  mkdirSync(vendorDir);
  for (const dep of release.deps) writeFileSync(join(vendorDir, dep), `dependency ${dep}\n`);
  const vendor = (await run('nix', [...NIX, 'hash', 'path', vendorDir], { encoding: 'utf8' })).stdout.trim();
  return { src, vendor };
}

/** A directory holding lib.nix and package.nix (not a Git repository). */
export function writePackage(dir: string, base: string, version: string, hashes: PackageHashes): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lib.nix'), LIB_NIX);
  const file = join(dir, 'package.nix');
  writeFileSync(file, packageNix(base, version, hashes));
  return file;
}

/** package.nix for prebuilt per-system tarballs: one `hashes` set keyed by system, one vendor hash. */
export function perSystemPackageNix(
  base: string,
  version: string,
  hashes: Record<string, string>,
  vendor: string,
): string {
  const entries = Object.entries(hashes)
    .map(([system, hash]) => `    ${system} = "${hash}";`)
    .join('\n');
  return `let lib = import ./lib.nix; in
lib.mkPackage rec {
  pname = "hello";
  version = "${version}";
  base = "${base}";
  hashes = {
${entries}
  };
  src = lib.fetchzip {
    url = "\${base}/hello-\${version}-\${lib.system}.tar.gz";
    hash = hashes.\${lib.system};
  };
  vendorHash = "${vendor}";
}
`;
}
