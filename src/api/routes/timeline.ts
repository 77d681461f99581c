import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseDuration, planBuckets } from '../../builds/index.js';
import { KilnError } from '../../errors/index.js';
import { tokenFromRequest } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ErrorBody } from '../schemas.js';

/** The longest range a chart may ask for, and the most points it may get. */
const MAX_RANGE_MS = 366 * 86_400_000;
const MAX_BUCKETS = 500;
/** Resolution of the stored cache counter history (migration 011). */
const CACHE_COUNTER_GRANULARITY_MS = 300_000;

const Range = Type.String({
  pattern: '^[0-9]{1,9}(s|m|h|d|w)$',
  description: 'How far back: a number and s, m, h, d or w (e.g. 24h, 7d, 30d).',
});
const Buckets = Type.Integer({ minimum: 1, maximum: MAX_BUCKETS, description: 'Number of points.' });

export const TimelineQuery = Type.Object(
  { since: Type.Optional(Range), buckets: Type.Optional(Buckets) },
  { additionalProperties: false },
);
export type TimelineQuery = Static<typeof TimelineQuery>;

const Time = Type.String({ format: 'date-time' });
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

export const TimelineResponse = Type.Object({
  since: Time,
  until: Time,
  bucketMs: Type.Integer(),
  slots: Type.Integer({ description: 'Worker slots (builds.concurrency) utilisation is measured against.' }),
  buckets: Type.Array(
    Type.Object({
      start: Time,
      end: Time,
      finished: Type.Integer({ description: 'Builds that reached any terminal status in the bucket.' }),
      succeeded: Type.Integer(),
      failed: Type.Integer({ description: 'Failed, timed out and dependency failed.' }),
      cancelled: Type.Integer({ description: 'Cancelled and superseded.' }),
      successRate: Type.Union([Type.Number(), Type.Null()], {
        description: 'Percent of builds with a verdict that succeeded; null when none finished.',
      }),
      averageBuildTimeMs: NullableNumber,
      p95BuildTimeMs: NullableNumber,
      queueLength: Type.Number({
        description: 'Average number of pending builds over the bucket (time-weighted).',
      }),
      utilization: Type.Union([Type.Number(), Type.Null()], {
        description: 'Busy build time over slots x bucket time (0..1).',
      }),
    }),
  ),
});
export type TimelineResponse = Static<typeof TimelineResponse>;

export const CacheHistoryParams = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 63 }),
});
export type CacheHistoryParams = Static<typeof CacheHistoryParams>;

const Count = Type.Integer();
export const CacheHistoryResponse = Type.Object({
  since: Time,
  until: Time,
  bucketMs: Type.Integer(),
  buckets: Type.Array(
    Type.Object({
      start: Time,
      end: Time,
      narinfoHits: Count,
      narinfoMisses: Count,
      hitRate: Type.Union([Type.Number(), Type.Null()], {
        description: 'Narinfo hits over lookups (0..1); null without lookups.',
      }),
      narsServed: Count,
      narBytesServed: Count,
      uploads: Count,
      uploadBytes: Count,
    }),
  ),
});
export type CacheHistoryResponse = Static<typeof CacheHistoryResponse>;

/** The range and bucket count asked for, checked beyond what the schema can say. */
function requestedRange(query: TimelineQuery, defaults: { since: string; buckets: number }) {
  const rangeMs = parseDuration(query.since ?? defaults.since);
  if (rangeMs === 0 || rangeMs > MAX_RANGE_MS) {
    throw new KilnError('KILN_ERR_VALIDATION', 'since must be more than 0 and at most 366 days');
  }
  return { rangeMs, buckets: query.buckets ?? defaults.buckets };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Charts' data: the build timeline (admin) and a cache's counters over time (cache admin). */
export function timelineRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: TimelineQuery }>(
    '/api/v1/stats/timeline',
    {
      schema: {
        summary: 'Builds over time: success rate, build time, queue length, worker utilisation',
        querystring: TimelineQuery,
        response: { 200: TimelineResponse, 400: ErrorBody, 401: ErrorBody },
      },
    },
    async (request): Promise<TimelineResponse> => {
      const timeline = await deps.timeline(requestedRange(request.query, { since: '7d', buckets: 28 }));
      return {
        since: iso(timeline.since),
        until: iso(timeline.until),
        bucketMs: timeline.bucketMs,
        slots: timeline.slots,
        buckets: timeline.points.map((point) => ({ ...point, start: iso(point.start), end: iso(point.end) })),
      };
    },
  );

  app.get<{ Params: CacheHistoryParams; Querystring: TimelineQuery }>(
    '/api/v1/caches/:name/history',
    {
      schema: {
        summary: 'Counters of a cache over time: narinfo hits and misses, NARs served, uploads',
        params: CacheHistoryParams,
        querystring: TimelineQuery,
        response: {
          200: CacheHistoryResponse,
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request): Promise<CacheHistoryResponse> => {
      // The same right as the cache's own counters (GET /api/v1/caches/:name).
      await deps.warehouse.access(request.params.name, tokenFromRequest(request), 'admin');
      const { rangeMs, buckets } = requestedRange(request.query, { since: '24h', buckets: 24 });
      const plan = planBuckets(rangeMs, buckets, CACHE_COUNTER_GRANULARITY_MS, Date.now());
      const history = await deps.cacheHistory(request.params.name, plan);
      return {
        since: iso(plan.since),
        until: iso(plan.until),
        bucketMs: plan.bucketMs,
        buckets: history.map((bucket) => {
          const lookups = bucket.narinfoHits + bucket.narinfoMisses;
          return {
            ...bucket,
            start: iso(bucket.start),
            end: iso(bucket.end),
            hitRate: lookups === 0 ? null : bucket.narinfoHits / lookups,
          };
        }),
      };
    },
  );
}
