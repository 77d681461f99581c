/**
 * Branch and tag patterns as forges write them: `*` matches within one path segment (not `/`),
 * `**` matches across segments, `?` one character; everything else is literal.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        source += '.*';
        i++;
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

export function matchesAny(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => globToRegExp(pattern).test(name));
}

/** `{project}`, `{branch}` and `{ref}` in a concurrency group; unknown names stay as written. */
export function renderGroup(
  template: string,
  values: { project: string; branch: string; ref: string },
): string {
  return template.replace(
    /\{(project|branch|ref)\}/g,
    (_, name: 'project' | 'branch' | 'ref') => values[name],
  );
}
