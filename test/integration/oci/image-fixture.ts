import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { MK_DERIVATION, nixBuildExpr } from '../../helpers/closure.js';
import { nonce } from '../../helpers/nix.js';

/** The environment of the tools the image tests run (skopeo, tar, zstd). */
export const ENV = { PATH: '/usr/bin:/bin', HOME: '/tmp', TZ: 'UTC', LC_ALL: 'C' };

/** Three fresh store paths: app (an executable and a symlink) → lib → data; returns app. */
export function buildClosure(): string {
  const tag = nonce();
  const [app = ''] = nixBuildExpr(
    `let
  ${MK_DERIVATION}
  data = mk "data-${tag}" "mkdir -p $out/share/${'d'.repeat(120)}; echo data > $out/share/${'d'.repeat(120)}/file";
  lib = mk "lib-${tag}" "mkdir -p $out/lib; echo \${data} > $out/lib/ref";
in mk "app-${tag}" "mkdir -p $out/bin; printf '#!/bin/sh\\\\necho hi\\\\n' > $out/bin/app; chmod +x $out/bin/app; ln -s app $out/bin/link; echo \${lib} > $out/ref"
`,
    ENV,
  );
  return app;
}

type Node =
  { type: 'dir' } | { type: 'file'; exec: boolean; content: string } | { type: 'link'; target: string };

/** Type, executable bit, content and link target of everything under `root`. */
export function snapshot(root: string, rel = ''): Map<string, Node> {
  const out = new Map<string, Node>();
  const path = join(root, rel);
  const info = lstatSync(path);
  if (info.isSymbolicLink()) out.set(rel, { type: 'link', target: readlinkSync(path) });
  else if (info.isFile())
    out.set(rel, { type: 'file', exec: (info.mode & 0o111) !== 0, content: readFileSync(path, 'latin1') });
  else {
    out.set(rel, { type: 'dir' });
    for (const name of readdirSync(path)) for (const [k, v] of snapshot(root, join(rel, name))) out.set(k, v);
  }
  return out;
}
