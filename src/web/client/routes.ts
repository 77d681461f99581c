// Route matching (pure): patterns like `/builds/:id` against a location path.

/** The params of `pattern` for `path`, or null when it does not match. Segments are URI-decoded. */
export function matchRoute(pattern: string, path: string): Record<string, string> | null {
  const want = split(pattern);
  const got = split(path);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? '';
    const g = got[i] ?? '';
    if (w.startsWith(':')) {
      if (g === '') return null;
      let value: string;
      try {
        value = decodeURIComponent(g);
      } catch {
        return null;
      }
      params[w.slice(1)] = value;
    } else if (w !== g) return null;
  }
  return params;
}

/** The first entry of `table` whose pattern matches `path`, with its params. */
export function findRoute<T>(
  table: readonly (readonly [string, T])[],
  path: string,
): { page: T; params: Record<string, string>; pattern: string } | null {
  for (const [pattern, page] of table) {
    const params = matchRoute(pattern, path);
    if (params) return { page, params, pattern };
  }
  return null;
}

function split(path: string): string[] {
  // A trailing slash does not make a different page.
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.split('/').slice(1);
}
