import { Type, type Static } from '@sinclair/typebox';

/** Schemas of the warehouse's management API (caches, keys, pins, tokens). */

const CacheName = Type.String({ minLength: 1, maxLength: 63, description: 'The cache name.' });
const HashPart = Type.String({ pattern: '^[0123456789abcdfghijklmnpqrsvwxyz]{32}$' });

export const CacheParams = Type.Object({ name: CacheName });
export type CacheParams = Static<typeof CacheParams>;

export const PinParams = Type.Object({ name: CacheName, hash: HashPart });
export type PinParams = Static<typeof PinParams>;

export const CreateCacheBody = Type.Object(
  {
    name: CacheName,
    private: Type.Optional(Type.Boolean({ description: 'Reads need a pull token.' })),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    retentionDays: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 36500 }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type CreateCacheBody = Static<typeof CreateCacheBody>;

export const UpdateCacheBody = Type.Object(
  { retentionDays: Type.Union([Type.Integer({ minimum: 1, maximum: 36500 }), Type.Null()]) },
  { additionalProperties: false },
);
export type UpdateCacheBody = Static<typeof UpdateCacheBody>;

export const RotateKeyBody = Type.Object(
  { overlapSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 * 365 * 86400 })) },
  { additionalProperties: false },
);
export type RotateKeyBody = Static<typeof RotateKeyBody>;

export const MissingPathsBody = Type.Object(
  { storePathHashes: Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10_000 }) },
  { additionalProperties: false },
);
export type MissingPathsBody = Static<typeof MissingPathsBody>;

export const GcBody = Type.Object(
  {
    dryRun: Type.Optional(Type.Boolean()),
    olderThanDays: Type.Optional(
      Type.Number({ minimum: 0, description: 'Collect with this retention instead of the cache’s own.' }),
    ),
  },
  { additionalProperties: false },
);
export type GcBody = Static<typeof GcBody>;

export const CreateTokenBody = Type.Object(
  {
    cache: Type.Optional(
      Type.Union([CacheName, Type.Null()], { description: 'Omit or null for an admin token.' }),
    ),
    perm: Type.Union([Type.Literal('pull'), Type.Literal('push'), Type.Literal('admin')]),
    ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 * 365 * 86400 })),
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type CreateTokenBody = Static<typeof CreateTokenBody>;

export const TokenListQuery = Type.Object(
  { cache: Type.Optional(CacheName) },
  { additionalProperties: false },
);
export type TokenListQuery = Static<typeof TokenListQuery>;

export const TokenParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
export type TokenParams = Static<typeof TokenParams>;
