import { Type, type Static } from '@sinclair/typebox';
import { BUILD_STATUSES, FLAKE_OUTPUT_SETS } from '../persistence/index.js';

/**
 * Request and response schemas of the HTTP API (v1). They are the contract the CLI, the web UI and
 * users' scripts rely on, and they feed the OpenAPI document at /api/v1/openapi.json.
 */

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'A KILN_ERR_* code.' }),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'ErrorBody' },
);
export type ErrorBody = Static<typeof ErrorBody>;

export const BuildStatusSchema = Type.Union(BUILD_STATUSES.map((s) => Type.Literal(s)));

const ShortString = Type.String({ maxLength: 4096 });

export const ImageConfigSchema = Type.Object(
  {
    entrypoint: Type.Optional(Type.Array(ShortString, { maxItems: 64 })),
    cmd: Type.Optional(Type.Array(ShortString, { maxItems: 64 })),
    env: Type.Optional(Type.Array(ShortString, { maxItems: 128, description: 'KEY=VALUE entries.' })),
    workingDir: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    exposedPorts: Type.Optional(
      Type.Array(Type.String({ maxLength: 16 }), { maxItems: 64, description: '8080, 8080/tcp, 53/udp' }),
    ),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 130 })),
  },
  { additionalProperties: false, description: "The image's runtime settings (OCI config)." },
);

export const SubmitBuildBody = Type.Object(
  {
    source: Type.Union([
      Type.Object(
        {
          kind: Type.Literal('expr'),
          expression: Type.String({ description: 'The Nix expression (contents of a .nix file).' }),
          fileName: Type.Optional(
            Type.String({ maxLength: 255, description: 'Original file name, for display.' }),
          ),
        },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          kind: Type.Literal('git'),
          url: Type.String({
            minLength: 1,
            maxLength: 2048,
            description: 'https, ssh or git@host:path URL.',
          }),
          ref: Type.Optional(
            Type.String({ minLength: 1, maxLength: 255, description: 'Branch, tag or full SHA.' }),
          ),
          attr: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 255,
              description: 'Flake output or default.nix attribute.',
            }),
          ),
          submodules: Type.Optional(Type.Boolean()),
          matrix: Type.Optional(
            Type.Object(
              {
                sets: Type.Array(Type.Union(FLAKE_OUTPUT_SETS.map((set) => Type.Literal(set))), {
                  maxItems: 3,
                  description: 'Flake output sets to enumerate (packages, checks, devShells).',
                }),
                attrs: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
                  maxItems: 256,
                  description: 'Or explicit attribute paths.',
                }),
                systems: Type.Array(Type.String({ pattern: '^[a-z0-9_]+-[a-z0-9_]+$' }), {
                  minItems: 1,
                  maxItems: 8,
                }),
              },
              {
                additionalProperties: false,
                description:
                  'Evaluate to one child build per derivation (a build group) instead of one build.',
              },
            ),
          ),
        },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          kind: Type.Literal('template'),
          name: Type.String({ minLength: 1, maxLength: 100 }),
          version: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
          values: Type.Record(Type.String(), Type.String(), {
            description: 'Parameter values, as --set text.',
          }),
        },
        { additionalProperties: false },
      ),
    ]),
    credentials: Type.Optional(
      Type.Object(
        {
          token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
          sshPrivateKey: Type.Optional(Type.String({ minLength: 1, maxLength: 65536 })),
        },
        {
          additionalProperties: false,
          description: 'For Git sources: sealed while the build needs them, never shown or logged.',
        },
      ),
    ),
    env: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: 'Builder environment variables.' }),
    ),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
    maxSilentSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    systems: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9_]+-[a-z0-9_]+$' }), { maxItems: 8 })),
    serviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    priority: Type.Optional(Type.Integer({ minimum: -100, maximum: 100 })),
    push: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 63,
        description: "Cache to push the outputs' closure to after a successful build.",
      }),
    ),
    image: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 512,
        description: 'REGISTRY/REPO[:TAG]: push an OCI image of the outputs there after the build.',
      }),
    ),
    imageConfig: Type.Optional(ImageConfigSchema),
    deployHook: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description:
          'http(s) URL POSTed after the image is pushed, signed with X-Kiln-Signature-256; the current tag moves only when it accepts.',
      }),
    ),
    concurrency: Type.Optional(
      Type.Object(
        {
          group: Type.String({ minLength: 1, maxLength: 200, description: 'Case-insensitive group key.' }),
          cancelInProgress: Type.Optional(Type.Boolean()),
          queue: Type.Optional(
            Type.Boolean({ description: 'Keep every pending run instead of the newest.' }),
          ),
        },
        {
          additionalProperties: false,
          description:
            'At most one run in progress and one pending per group; a newer pending run supersedes the older one.',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type SubmitBuildBody = Static<typeof SubmitBuildBody>;

export const ImageOfBuildBody = Type.Object(
  {
    image: Type.String({ minLength: 1, maxLength: 512, description: 'REGISTRY/REPO[:TAG]' }),
    imageConfig: Type.Optional(ImageConfigSchema),
    current: Type.Optional(
      Type.Boolean({ description: "Also point the repository's current tag at it (a rollback)." }),
    ),
  },
  { additionalProperties: false },
);
export type ImageOfBuildBody = Static<typeof ImageOfBuildBody>;

export const ProgressView = Type.Object({
  done: Type.Integer(),
  expected: Type.Integer(),
  running: Type.Integer(),
  failed: Type.Integer(),
  phase: Type.Union([Type.String(), Type.Null()]),
  activeDrv: Type.Union([Type.String(), Type.Null()]),
});

export const StepView = Type.Object({
  name: Type.String(),
  status: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  detail: Type.Union([Type.String(), Type.Null()]),
});

const NullableTime = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

/** A version sync run's evidence: what the bump changed, what Nix said, what ran, what was pushed. */
export const BumpView = Type.Object({
  oldVersion: Type.String(),
  newVersion: Type.String(),
  hashes: Type.Array(
    Type.Object({
      path: Type.String(),
      old: Type.Union([Type.String(), Type.Null()]),
      new: Type.String(),
      method: Type.String({ description: 'prefetch, nix (reported by a build) or unchanged.' }),
      verified: Type.Boolean({ description: 'Checked by Nix against a fresh fetch.' }),
    }),
  ),
  mismatches: Type.Array(Type.Object({ drv: Type.String(), specified: Type.String(), got: Type.String() })),
  staleHashes: Type.Array(Type.String()),
  outputs: Type.Array(Type.String()),
  verify: Type.Union([
    Type.Object({
      command: Type.String(),
      exitCode: Type.Union([Type.Integer(), Type.Null()]),
      output: Type.Array(Type.String()),
    }),
    Type.Null(),
  ]),
  branch: Type.Union([Type.String(), Type.Null()]),
  commit: Type.Union([Type.String(), Type.Null()]),
  diff: Type.String(),
});

export const BuildView = Type.Object(
  {
    id: Type.String(),
    status: BuildStatusSchema,
    source: Type.Object({
      kind: Type.String(),
      fileName: Type.Optional(Type.String()),
      url: Type.Optional(Type.String()),
      ref: Type.Optional(Type.String()),
      attr: Type.Optional(Type.String()),
      name: Type.Optional(Type.String()),
      version: Type.Optional(Type.String()),
      sync: Type.Optional(Type.String({ description: 'Version sync runs: the sync.' })),
      tag: Type.Optional(Type.String({ description: 'Version sync runs: the tag that started it.' })),
      matrix: Type.Optional(
        Type.Object(
          {
            sets: Type.Array(Type.String()),
            attrs: Type.Array(Type.String()),
            systems: Type.Array(Type.String()),
          },
          { description: 'Matrix builds: what the evaluation expands to (one child build per derivation).' },
        ),
      ),
    }),
    system: Type.Union([Type.String(), Type.Null()]),
    groupId: Type.Union([Type.String(), Type.Null()]),
    serviceId: Type.Union([Type.String(), Type.Null()]),
    labels: Type.Record(Type.String(), Type.String()),
    priority: Type.Integer(),
    envNames: Type.Array(Type.String(), { description: 'Names only: values may be secrets.' }),
    timeoutSeconds: Type.Integer(),
    maxSilentSeconds: Type.Integer(),
    drvPaths: Type.Array(Type.String()),
    outputs: Type.Array(Type.String()),
    artifactSize: Type.Union([Type.Integer(), Type.Null()]),
    exitCode: Type.Union([Type.Integer(), Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    progress: ProgressView,
    createdAt: Type.String({ format: 'date-time' }),
    startedAt: NullableTime,
    finishedAt: NullableTime,
    durationMs: Type.Union([Type.Integer(), Type.Null()]),
    attempts: Type.Integer(),
    cancelRequestedAt: NullableTime,
    cached: Type.Boolean(),
    commit: Type.Union([
      Type.Object({
        sha: Type.String(),
        branch: Type.Union([Type.String(), Type.Null()]),
        author: Type.String(),
        authorEmail: Type.String(),
        date: Type.String(),
        subject: Type.String(),
      }),
      Type.Null(),
    ]),
    image: Type.Union([
      Type.Object({
        ref: Type.String(),
        digest: Type.String(),
        tags: Type.Array(Type.String()),
        layers: Type.Array(Type.Object({ digest: Type.String(), size: Type.Integer() })),
        size: Type.Integer({ description: 'Compressed bytes of the config and layers.' }),
        bytesUploaded: Type.Integer({ description: 'Blob bytes the registry did not have yet.' }),
        pushDurationMs: Type.Integer(),
        manifestSize: Type.Optional(Type.Integer()),
        fallback: Type.Optional(
          Type.Boolean({ description: 'The primary registry was down: pushed to the fallback.' }),
        ),
        current: Type.Optional(
          Type.Boolean({ description: 'The current tag points here (every step succeeded).' }),
        ),
        index: Type.Optional(
          Type.Object({
            ref: Type.String(),
            digest: Type.String(),
            tags: Type.Array(Type.String()),
            platforms: Type.Array(Type.String()),
          }),
        ),
      }),
      Type.Null(),
    ]),
    imageConfig: Type.Union([ImageConfigSchema, Type.Null()]),
    deployHook: Type.Union([Type.String(), Type.Null()], {
      description: 'The deploy hook (query string hidden).',
    }),
    deploy: Type.Union([
      Type.Object({
        url: Type.String(),
        deliveryId: Type.String(),
        status: Type.Integer(),
        attempts: Type.Integer(),
        durationMs: Type.Integer(),
      }),
      Type.Null(),
    ]),
    bump: Type.Union([BumpView, Type.Null()], { description: "A version sync run's evidence." }),
    imageRef: Type.Union([Type.String(), Type.Null()], { description: 'Where the image is to be pushed.' }),
    pushCache: Type.Union([Type.String(), Type.Null()], { description: 'Cache the outputs are pushed to.' }),
    substituted: Type.Array(Type.String(), { description: 'Store paths taken from a substituter.' }),
    built: Type.Array(Type.String(), { description: 'Derivations Nix built.' }),
    pushed: Type.Array(Type.String(), { description: 'Store paths this build uploaded to pushCache.' }),
    projectId: Type.Union([Type.String(), Type.Null()], { description: 'The project it belongs to.' }),
    trigger: Type.Union(
      [
        Type.Object({
          kind: Type.String({ description: 'api, cli, ui, push, tag, manual or version-sync' }),
          actor: Type.Union([Type.String(), Type.Null()], { description: 'Token description or pusher.' }),
          forge: Type.Optional(Type.String()),
          deliveryId: Type.Optional(Type.String()),
        }),
        Type.Null(),
      ],
      { description: 'Who or what started the build.' },
    ),
    concurrencyKey: Type.Union([Type.String(), Type.Null()], { description: 'Its concurrency group.' }),
    dependsOn: Type.Array(Type.String(), { description: 'Builds of its group that must succeed first.' }),
    attrPath: Type.Union([Type.String(), Type.Null()], {
      description: 'Matrix children: the attribute path built.',
    }),
    steps: Type.Optional(Type.Array(StepView)),
  },
  { $id: 'BuildView' },
);
export type BuildView = Static<typeof BuildView>;

export const SubmitBuildResponse = Type.Object({ builds: Type.Array(Type.Ref('BuildView')) });
export type SubmitBuildResponse = { builds: BuildView[] };

export const ListBuildsQuery = Type.Object(
  {
    status: Type.Optional(Type.String({ description: 'Comma-separated statuses.' })),
    serviceId: Type.Optional(Type.String()),
    groupId: Type.Optional(Type.String()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    before: Type.Optional(Type.Integer({ minimum: 0, description: 'Paging cursor from nextBefore.' })),
  },
  { additionalProperties: false },
);
export type ListBuildsQuery = Static<typeof ListBuildsQuery>;

export const ListBuildsResponse = Type.Object({
  builds: Type.Array(Type.Ref('BuildView')),
  nextBefore: Type.Union([Type.Integer(), Type.Null()]),
});
export type ListBuildsResponse = { builds: BuildView[]; nextBefore: number | null };

export const LogLineView = Type.Object({
  seq: Type.Integer(),
  ts: Type.String({ format: 'date-time' }),
  stream: Type.String(),
  text: Type.String(),
});
export type LogLineView = Static<typeof LogLineView>;

export const LogQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 10_000 })),
    follow: Type.Optional(
      Type.Union([Type.Literal('1'), Type.Literal('0'), Type.Literal('true'), Type.Literal('false')]),
    ),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('text')])),
  },
  { additionalProperties: false },
);
export type LogQuery = Static<typeof LogQuery>;

export const LogResponse = Type.Object({
  lines: Type.Array(LogLineView),
  nextAfter: Type.Integer(),
  complete: Type.Boolean({ description: 'True when the build is finished and every line was returned.' }),
});
export type LogResponse = Static<typeof LogResponse>;

export const StatsQuery = Type.Object(
  {
    serviceId: Type.Optional(Type.String()),
    label: Type.Optional(Type.String({ pattern: '^[^=]+=.*$', description: 'KEY=VALUE' })),
    sinceHours: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
);
export type StatsQuery = Static<typeof StatsQuery>;

export const StatsResponse = Type.Object({
  scope: Type.Object({
    serviceId: Type.Union([Type.String(), Type.Null()]),
    label: Type.Union([Type.String(), Type.Null()]),
    since: NullableTime,
  }),
  total: Type.Integer(),
  byStatus: Type.Record(Type.String(), Type.Integer()),
  successRate: Type.Union([Type.Number(), Type.Null()], {
    description: 'Percent of builds with a verdict (succeeded, failed, timed out) that succeeded.',
  }),
  averageBuildTimeMs: Type.Union([Type.Number(), Type.Null()]),
  averageArtifactSize: Type.Union([Type.Number(), Type.Null()]),
  averageImageSize: Type.Union([Type.Number(), Type.Null()], {
    description: 'Bytes (compressed), over succeeded builds that pushed an image.',
  }),
  averageBytesPushed: Type.Union([Type.Number(), Type.Null()], {
    description: 'Blob bytes uploaded per image push (what the registry lacked), over the same builds.',
  }),
  lastGoodImage: Type.Union(
    [
      Type.Object({
        buildId: Type.String(),
        ref: Type.String(),
        digest: Type.String(),
        finishedAt: Type.String({ format: 'date-time' }),
      }),
      Type.Null(),
    ],
    { description: 'The image of the succeeded build in scope that finished last.' },
  ),
  queueLength: Type.Integer(),
  workers: Type.Object({
    slots: Type.Integer(),
    busy: Type.Integer(),
    utilization: Type.Number({ description: 'busy / slots right now, 0..1' }),
    utilizationWindow: Type.Union([Type.Number(), Type.Null()], {
      description: 'Share of slot time spent building over the window, 0..1',
    }),
  }),
});
export type StatsResponse = Static<typeof StatsResponse>;

export const CleanupBody = Type.Object(
  {
    olderThan: Type.String({ pattern: '^[0-9]+(s|m|h|d|w)$', description: 'e.g. 30d, 12h' }),
    dryRun: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CleanupBody = Static<typeof CleanupBody>;

export const CleanupResponse = Type.Object({
  deletedBuilds: Type.Integer(),
  removedRoots: Type.Integer(),
  keptBuilds: Type.Array(Type.String(), {
    description: 'Kept because they are the newest success of a service.',
  }),
  dryRun: Type.Boolean(),
});
export type CleanupResponse = Static<typeof CleanupResponse>;
