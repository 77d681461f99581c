import { KilnError } from '../errors/index.js';

/**
 * The layering plan of an image: nixpkgs' "popularity contest" (referencesByPopularity) orders
 * the closure's store paths, the most popular get a layer each, and the rest share the last
 * layer, so that paths shared by many images (glibc, …) land in layers registries already have.
 */

export interface ClosurePath {
  /** Absolute store path, e.g. /nix/store/<hash>-<name>. */
  path: string;
  /** Store paths this path refers to (may include itself). */
  references: readonly string[];
  narSize: number;
}

export interface ClosureGraph {
  paths: readonly ClosurePath[];
  /** The paths the image is for; default: the paths no other path refers to. */
  roots?: readonly string[];
}

export interface PlannedLayer {
  /** Store paths in this layer, sorted. */
  paths: string[];
  /** Sum of the paths' narSize: an estimate of the uncompressed layer. */
  narSize: number;
}

export interface LayerPlan {
  /** Base layer first (stack order); the customisation layer, if any, is not among them. */
  layers: PlannedLayer[];
}

export interface PlanOptions {
  /** Total layers of the image, customisation layer included (default 100, at least 2). */
  maxLayers?: number;
  /** Whether a customisation layer takes one of `maxLayers`. */
  customisationLayer?: boolean;
}

export const DEFAULT_MAX_LAYERS = 100;

/** Splits a closure into layers: one path each for the most popular, the rest in the last. */
export function planLayers(graph: ClosureGraph, options: PlanOptions = {}): LayerPlan {
  const maxLayers = options.maxLayers ?? DEFAULT_MAX_LAYERS;
  if (!Number.isInteger(maxLayers) || maxLayers < 2) {
    throw new KilnError(
      'KILN_ERR_VALIDATION',
      `maxLayers must be an integer of at least 2, got ${maxLayers}`,
      {
        maxLayers,
      },
    );
  }
  const available = maxLayers - (options.customisationLayer ? 1 : 0);
  const ordered = orderByPopularity(graph);
  const sizes = new Map(graph.paths.map((p) => [p.path, p.narSize]));
  const layer = (paths: string[]): PlannedLayer => ({
    paths: [...paths].sort(),
    narSize: paths.reduce((sum, p) => sum + (sizes.get(p) ?? 0), 0),
  });
  if (ordered.length <= available) return { layers: ordered.map((p) => layer([p])) };
  const single = ordered.slice(0, available - 1).map((p) => layer([p]));
  return { layers: [...single, layer(ordered.slice(available - 1))] };
}

/**
 * The closure's paths, most popular first, as nixpkgs' closure-graph.py orders them: the graph
 * is unfolded into a tree from the roots (shared paths duplicated), a path scores 1 as a root and,
 * for every subtree it is inside, its score in that subtree plus one; ties are broken by package
 * name (the name before the hash). Computed per node with memoisation instead of unfolding the
 * tree, which is exponential for diamond-shaped graphs; scores are bigints because the number of
 * tree paths can exceed 2^53.
 */
export function orderByPopularity(graph: ClosureGraph): string[] {
  const refs = referenceMap(graph);
  const roots = [...(graph.roots ?? defaultRoots(refs))].sort();
  for (const root of roots) {
    if (!refs.has(root))
      throw new KilnError('KILN_ERR_VALIDATION', `root ${root} is not in the closure`, { root });
  }
  // scores(q): for each strict descendant p of q, the contest score of p within q's subtree.
  const memo = new Map<string, Map<string, bigint>>();
  const scores = (q: string): Map<string, bigint> => {
    const known = memo.get(q);
    if (known) return known;
    const result = new Map<string, bigint>();
    for (const r of refs.get(q) ?? []) {
      result.set(r, (result.get(r) ?? 0n) + 1n);
      for (const [p, score] of scores(r)) result.set(p, (result.get(p) ?? 0n) + score + 1n);
    }
    memo.set(q, result);
    return result;
  };
  const popularity = new Map<string, bigint>();
  for (const root of roots) {
    popularity.set(root, (popularity.get(root) ?? 0n) + 1n);
    for (const [p, score] of scores(root)) popularity.set(p, (popularity.get(p) ?? 0n) + score + 1n);
  }
  // Paths unreachable from the given roots still belong in the image; they rank last.
  for (const path of refs.keys()) if (!popularity.has(path)) popularity.set(path, 0n);
  return [...popularity.entries()]
    .map(([path, score]) => ({ path, score, name: packageName(path) }))
    .sort((a, b) => (a.score !== b.score ? (a.score > b.score ? -1 : 1) : compare(a.name, b.name)))
    .map((entry) => entry.path);
}

/** nixpkgs' tie-break key: `/nix/store/<hash>-<name>` becomes `<name>-/nix/store/<hash>`. */
export function packageName(path: string): string {
  const parts = path.split('-');
  const start = parts.shift() ?? '';
  return `${parts.join('-')}-${start}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** References without self-references, checked for closure (every reference is a path of the graph). */
function referenceMap(graph: ClosureGraph): Map<string, string[]> {
  const refs = new Map<string, string[]>();
  for (const entry of graph.paths) {
    if (refs.has(entry.path)) {
      throw new KilnError('KILN_ERR_VALIDATION', `${entry.path} appears twice in the closure`, {
        path: entry.path,
      });
    }
    refs.set(entry.path, [...new Set(entry.references)].filter((r) => r !== entry.path).sort());
  }
  for (const [path, list] of refs) {
    for (const r of list) {
      if (!refs.has(r)) {
        throw new KilnError('KILN_ERR_VALIDATION', `${path} refers to ${r}, which is not in the closure`, {
          path,
          reference: r,
        });
      }
    }
  }
  assertAcyclic(refs);
  return refs;
}

function defaultRoots(refs: Map<string, string[]>): string[] {
  const referenced = new Set([...refs.values()].flat());
  return [...refs.keys()].filter((p) => !referenced.has(p));
}

/** Store references cannot form cycles (other than self-references); a cycle means bad input. */
function assertAcyclic(refs: Map<string, string[]>): void {
  const state = new Map<string, 'active' | 'done'>();
  for (const start of refs.keys()) {
    if (state.has(start)) continue;
    // Iterative depth-first search: closures can be deep enough to overflow the call stack.
    const stack: { node: string; next: number }[] = [{ node: start, next: 0 }];
    state.set(start, 'active');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const children = refs.get(top.node) ?? [];
      if (top.next < children.length) {
        const child = children[top.next++]!;
        const seen = state.get(child);
        if (seen === 'active') {
          throw new KilnError('KILN_ERR_VALIDATION', `reference cycle through ${child}`, { path: child });
        }
        if (seen === undefined) {
          state.set(child, 'active');
          stack.push({ node: child, next: 0 });
        }
      } else {
        state.set(top.node, 'done');
        stack.pop();
      }
    }
  }
}
