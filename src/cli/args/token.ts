import { KilnError } from '../../errors/index.js';
import {
  CLIENT_OPTIONS,
  clientFlags,
  nonEmpty,
  positionals,
  type ClientFlags,
  parseOptions,
} from './common.js';
import { parseDuration } from './duration.js';

/** `kiln token create|list|revoke`: cache and admin tokens. */
export type TokenPlan = { command: 'token'; client: ClientFlags; json: boolean } & (
  | {
      action: 'create';
      cache: string | undefined;
      perm: 'pull' | 'push' | 'admin';
      ttlSeconds: number | undefined;
      description: string | undefined;
    }
  | { action: 'list'; cache: string | undefined }
  | { action: 'revoke'; id: string }
);

const PERMS = ['pull', 'push', 'admin'] as const;

export function parseTokenArgs(args: readonly string[]): TokenPlan | { command: 'help'; topic: 'token' } {
  const { values, positionals: rest } = parseOptions('token', args, {
    ...CLIENT_OPTIONS,
    json: { type: 'boolean' },
    cache: { type: 'string' },
    perm: { type: 'string' },
    ttl: { type: 'string' },
    description: { type: 'string' },
  });
  if (values.help) return { command: 'help', topic: 'token' };
  const [action, ...operands] = rest;
  const base = { command: 'token' as const, client: clientFlags(values), json: values.json ?? false };
  switch (action) {
    case 'create': {
      positionals('token create', operands, []);
      const perm = values.perm;
      if (perm === undefined || !(PERMS as readonly string[]).includes(perm)) {
        throw new KilnError('KILN_ERR_VALIDATION', "'kiln token create' needs --perm pull, push or admin", {
          option: '--perm',
          command: 'token',
        });
      }
      const cache = nonEmpty('--cache', values.cache);
      if (cache === undefined && perm !== 'admin') {
        throw new KilnError('KILN_ERR_VALIDATION', `a ${perm} token is for one cache: add --cache NAME`, {
          option: '--cache',
          command: 'token',
        });
      }
      const ttl = values.ttl === undefined ? undefined : parseDuration(values.ttl, '--ttl');
      return {
        ...base,
        action,
        cache,
        perm: perm as (typeof PERMS)[number],
        ttlSeconds: ttl && Math.max(1, Math.round(ttl.ms / 1000)),
        description: values.description,
      };
    }
    case 'list':
      positionals('token list', operands, []);
      return { ...base, action, cache: nonEmpty('--cache', values.cache) };
    case 'revoke': {
      const [id = ''] = positionals('token revoke', operands, ['ID']);
      return { ...base, action, id };
    }
    default:
      throw new KilnError(
        'KILN_ERR_VALIDATION',
        action === undefined
          ? "'kiln token' needs a subcommand: create, list or revoke"
          : `unknown subcommand 'kiln token ${action}' (one of: create, list, revoke)`,
        { command: 'token' },
      );
  }
}
