// Removes compiled files whose TypeScript source is gone (moved or deleted), so a stale test or
// module left in dist/ is never run or imported. tsc itself only ever adds and overwrites.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const dist = join(root, 'dist');

function prune(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      prune(path);
      continue;
    }
    const compiled = /\.(d\.ts|js|js\.map|d\.ts\.map)$/.exec(name);
    if (!compiled) continue;
    const source = join(root, relative(dist, dirname(path)), name.slice(0, -compiled[0].length) + '.ts');
    if (!existsSync(source)) rmSync(path);
  }
}
if (existsSync(dist))
  for (const top of ['src', 'test', 'bench']) if (existsSync(join(dist, top))) prune(join(dist, top));
