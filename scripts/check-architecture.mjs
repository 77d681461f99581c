// Architecture rules, checked on every `make test`:
//  1. Each bounded context under src/ (the first folder with an index.ts) is entered only through
//     that index.ts.
//  2. No import cycles between contexts.
//  3. Layering: the runner and persistence never import the HTTP layer, the CLI or the wiring;
//     only main, cli, library and the package root import main.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const src = join(root, 'src');
const problems = [];

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function contextOf(file) {
  const parts = relative(src, dirname(file)).split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const dir = join(src, ...parts.slice(0, i));
    if (existsSync(join(dir, 'index.ts'))) return relative(src, dir);
  }
  return '.';
}

const importPattern = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const graph = new Map();
const forbidden = {
  'runner/nix': ['api', 'cli', 'main', 'builds', 'library'],
  persistence: ['api', 'cli', 'main', 'builds', 'runner/nix', 'library'],
  process: ['api', 'cli', 'main', 'builds', 'runner/nix', 'persistence', 'library'],
  builds: ['api', 'cli', 'main', 'library'],
  api: ['cli', 'main', 'library'],
  metrics: ['api', 'cli', 'main', 'library', 'builds', 'persistence'],
  // Pure formats: they depend on nothing but the error codes.
  nar: ['api', 'cli', 'main', 'library', 'builds', 'persistence', 'runner/nix', 'process', 'queue', 'cache'],
};
// Leaf contexts: the complete list of what they may import, so a new dependency is a decision.
const allowed = {
  // The warehouse: NARs through compressors (compression), files (fsutil), its records (persistence),
  // sealed signing keys (secrets), cache tokens (tokens), and Nix for pushing closures (runner/nix).
  cache: ['errors', 'compression', 'fsutil', 'nar', 'persistence', 'secrets', 'tokens', 'runner/nix'],
  // Encryption at rest: the master key file is written with fsutil; nothing else.
  secrets: ['errors', 'fsutil'],
  // Git: validators and a client that runs the git binary (process) in temp dirs (fsutil).
  git: ['errors', 'process', 'fsutil'],
  // Templates: pure definitions and rendering, stored through persistence.
  templates: ['errors', 'persistence', 'fsutil', 'nar'],
  // OCI images: tars of store paths, blobs written with fsutil, closures from Nix (runner/nix),
  // layer compressors (compression).
  oci: ['errors', 'process', 'fsutil', 'nar', 'runner/nix', 'retry', 'compression'],
  // Streaming compressors (system programs as supervised byte filters, and zlib), shared by the
  // warehouse and the image builder.
  compression: ['errors', 'process'],
  // Backoff and retry rules: pure.
  retry: [],
  // Outgoing signed webhooks (deploy hooks): HTTP with retries.
  webhooks: ['errors', 'retry'],
  // Run notifications: signed webhooks and commit statuses (webhooks, retry) about builds (persistence types).
  notifications: ['errors', 'webhooks', 'retry', 'persistence'],
  // Packaging chores: archives and prefetch (nar, compression, git, fsutil), the Nix parser (pure),
  // and bump, which drives Nix (runner/nix, process) and commits with git.
  packaging: ['errors', 'nar', 'compression', 'process', 'fsutil', 'git', 'runner/nix', 'retry'],
  // The web UI: static files served by the HTTP layer; its browser code (web/client) talks to the
  // API over HTTP only.
  web: ['errors'],
  // Projects: settings (persistence), forge push webhooks (webhooks), URL policy (git), and runs
  // queued through the builds service.
  projects: ['errors', 'persistence', 'webhooks', 'git', 'builds'],
};
// Second doors for fast-starting clients: the CLI must not load the server's dependencies.
const extraDoors = new Set(['config/client-env.ts']);
const mayImportMain = new Set(['main', 'cli', 'library', '.']);

for (const file of files(src)) {
  const from = contextOf(file);
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(importPattern)) {
    const spec = match[1] ?? match[2];
    if (!spec || !spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    if (!existsSync(target)) continue; // unresolved imports are the compiler's to report
    const to = contextOf(target);
    if (to === from) continue;
    const where = relative(root, file);
    const door = relative(src, target);
    if (to !== '.' && door !== join(to, 'index.ts') && !extraDoors.has(door)) {
      problems.push(`${where}: imports ${spec}, which is inside '${to}'; use ${to}/index.ts`);
    }
    if ((forbidden[from] ?? []).includes(to)) problems.push(`${where}: '${from}' must not depend on '${to}'`);
    if (allowed[from] && !allowed[from].includes(to))
      problems.push(`${where}: '${from}' may import only ${allowed[from].join(', ')}, not '${to}'`);
    if (to === 'main' && !mayImportMain.has(from))
      problems.push(`${where}: only main, cli and library use the wiring`);
    if (!graph.has(from)) graph.set(from, new Set());
    graph.get(from).add(to);
  }
}

// Cycle detection over the context graph (depth-first, reporting one path per cycle).
const state = new Map();
function visit(node, path) {
  state.set(node, 'active');
  for (const next of graph.get(node) ?? []) {
    if (state.get(next) === 'active') problems.push(`import cycle: ${[...path, node, next].join(' -> ')}`);
    else if (!state.has(next)) visit(next, [...path, node]);
  }
  state.set(node, 'done');
}
for (const node of graph.keys()) if (!state.has(node)) visit(node, []);

if (problems.length > 0) {
  console.error(`architecture check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`architecture check: ${graph.size} contexts, no violations`);
