/** One challenge from a `WWW-Authenticate` header (RFC 7235 §4.1), scheme lowercased. */
export interface AuthChallenge {
  scheme: string;
  /** Parameter names lowercased; values unquoted and unescaped. */
  params: Record<string, string>;
  token68?: string;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

/**
 * Parses every challenge of a header such as
 * `Bearer realm="https://auth/token",service="reg",scope="repository:a:pull,push", Basic realm="x"`.
 * Tolerant: quoted commas, escapes, spaces around `=`, unquoted values, stray commas; a malformed
 * tail ends the parse and keeps what came before.
 */
export function parseWwwAuthenticate(header: string | readonly string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  if (typeof header !== 'string') return header.flatMap((h) => parseWwwAuthenticate(h));
  const s = header;
  let i = 0;
  const challenges: AuthChallenge[] = [];
  const skipSpace = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const skipSeparators = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && TCHAR.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  // Unquoted values are tokens by the RFC, but registries send bare URLs too: read to , or space.
  const bare = (): string => {
    const start = i;
    while (i < s.length && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
    return s.slice(start, i);
  };
  const quoted = (): string => {
    i++; // opening quote
    let out = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      out += s[i];
      i++;
    }
    i++; // closing quote (or the end)
    return out;
  };
  // Is there `name =` (not token68 padding) at position i?
  const paramAhead = (): boolean => {
    let j = i;
    while (j < s.length && TCHAR.test(s[j]!)) j++;
    if (j === i) return false;
    while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++;
    if (s[j] !== '=') return false;
    j++;
    while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++;
    return j < s.length && s[j] !== '=' && s[j] !== ',';
  };

  skipSeparators();
  while (i < s.length) {
    const scheme = token();
    if (scheme === '') break;
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    skipSpace();
    if (!paramAhead()) {
      const start = i;
      while (i < s.length && TOKEN68_CHAR.test(s[i]!)) i++;
      while (i < s.length && s[i] === '=') i++;
      if (i > start) challenge.token68 = s.slice(start, i);
      skipSeparators();
      continue;
    }
    // Parameters until a token not followed by `=` (the next challenge's scheme) or the end.
    while (i < s.length && paramAhead()) {
      const name = token().toLowerCase();
      skipSpace();
      i++; // '='
      skipSpace();
      const value = s[i] === '"' ? quoted() : bare();
      challenge.params[name] = value;
      skipSeparators();
    }
  }
  return challenges;
}
