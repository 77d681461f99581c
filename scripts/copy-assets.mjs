// Copies non-TypeScript runtime assets (SQL migrations, built-in templates) from src/ into dist/src/.
import { cpSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const assetSuffixes = ['.sql'];
// Built-in templates are JSON definitions with their Nix bodies.
const templateAssets = (path) => path.includes('/src/templates/builtin/') && /\.(json|nix)$/.test(path);

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (assetSuffixes.some((s) => name.endsWith(s)) || templateAssets(path)) {
      const target = join(root, 'dist', relative(root, path));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(path, target);
    }
  }
}
walk(join(root, 'src'));

// The web UI's static files (index.html, the stylesheet): src/web/assets → dist/web, next to the
// browser modules that tsconfig.web.json compiles to dist/web/js.
const webAssets = join(root, 'src', 'web', 'assets');
cpSync(webAssets, join(root, 'dist', 'web'), { recursive: true });
