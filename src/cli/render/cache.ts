import type { CacheInfo, TokenView } from '../../cache/index.js';
import { formatBytes } from './bytes.js';

function percent(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;
}

function when(ms: number | null): string {
  return ms === null ? 'never' : new Date(ms).toISOString();
}

/** `kiln cache info`: what an operator and a client's nix.conf need. */
export function cacheInfoLines(info: CacheInfo, server: string): string[] {
  const { counters, usage } = info;
  const lookups = counters.narinfoHits + counters.narinfoMisses;
  const lines = [
    `cache:        ${info.name} (${info.private ? 'private: reads need a pull token' : 'public'})`,
    `substituter:  ${server}/cache/${info.name}`,
    `priority:     ${info.priority}`,
    `retention:    ${info.retentionDays === null ? 'keep forever' : `${info.retentionDays} days since last fetch or push`}`,
    `paths:        ${usage.objects} (${usage.pins} pinned)`,
    `stored:       ${formatBytes(usage.fileBytes)} compressed, ${formatBytes(usage.narBytes)} as NARs`,
    `narinfo:      ${counters.narinfoHits} hits, ${counters.narinfoMisses} misses (hit rate ${percent(counters.narinfoHits, lookups)})`,
    `served:       ${counters.narsServed} NARs, ${formatBytes(counters.narBytesServed)}`,
    `uploads:      ${counters.uploads} NARs, ${formatBytes(counters.uploadBytes)}`,
    'keys:',
  ];
  for (const key of info.keys) {
    const state = key.signing
      ? key.retiresAt === null
        ? 'signing'
        : `signing until ${when(key.retiresAt)}`
      : key.activatedAt > Date.now()
        ? `signs from ${when(key.activatedAt)}`
        : `retired ${when(key.retiresAt)}`;
    lines.push(`  ${key.keyName} (${state})`);
  }
  lines.push('trusted-public-keys:', ...info.trustedPublicKeys.map((key) => `  ${key}`));
  return lines;
}

export function tokenListLines(tokens: readonly TokenView[], now: number): string[] {
  if (tokens.length === 0) return ['no tokens'];
  return tokens.map((token) => {
    const state =
      token.revokedAt !== null
        ? `revoked ${when(token.revokedAt)}`
        : token.expiresAt !== null && token.expiresAt <= now
          ? `expired ${when(token.expiresAt)}`
          : token.expiresAt === null
            ? 'valid'
            : `valid until ${when(token.expiresAt)}`;
    const scope = token.cache ?? '(server)';
    return `${token.id}\t${token.perm}\t${scope}\t${state}${token.description ? `\t${token.description}` : ''}`;
  });
}
