import type { NixChild, NixNode } from './tree.js';

/** The source text of a tree (or any sub-tree), rebuilt from its tokens and their trivia. */
export function printNix(node: NixNode): string {
  const out: string[] = [];
  const walk = (child: NixChild): void => {
    if (child.type === 'token') {
      out.push(child.leading, child.text);
      return;
    }
    for (const inner of child.children) walk(inner);
  };
  walk(node);
  return out.join('');
}
