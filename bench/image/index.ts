/**
 * `node dist/bench/run.js image`: kiln's shipping dock against skopeo, in the same run on the
 * same machine (issue 5's benchmark).
 *  1. A 50-store-path closure built once with the real Nix (bench/image/fixtures.ts).
 *  2. kiln: the closure query (`nix path-info`), the OCI image build (tar, hash, gzip, write) and
 *     the push to a fresh repository of a real docker-registry, each timed.
 *  3. Reference: `skopeo copy oci:DIR:TAG docker://…` of the layout kiln built that round, which
 *     is only the push. Each side pushes to its own registry instance, started fresh every round
 *     with empty storage on a port no earlier registry of the run used: skopeo remembers where it
 *     has seen blobs (its blob-info cache, keyed by host:port) and would mount them from an earlier
 *     repository of the same registry instead of uploading them, and neither side should find a
 *     blob the other (or an earlier round) left behind. Rounds alternate who pushes first.
 *     Goals: kiln (closure query + build + push) / skopeo <= 1.0x; kiln push alone / skopeo shown.
 *  4. Unchanged re-push: pushImage of the same image to the same tag again, timed (goal < 0.5 s),
 *     with the bytes pushImage reports uploading and, independently, the blob body bytes a
 *     counting proxy in front of the registry sees on a second re-push through it (goal 0).
 *  5. Where kiln's build time goes: the same build without compression and with zstd, and (an
 *     experiment with the exported writeLayerBlob) the gzip layers written four at a time.
 *
 * Environment: KILN_BENCH_ROUNDS (default 3; median reported), KILN_BENCH_IMAGE_FIXTURES (where
 * the closure's GC root lives). Prints absolute times and ratios; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envCount } from '../settings.js';
import { goalText, median, ms, renderTable, verdict, type Goal } from '../git/stats.js';
import { buildImageFixture, type ImageFixture } from './fixtures.js';
import { openCountingProxy } from '../../test/helpers/registry.js';
import { startBenchRegistry } from './registry.js';
import type { LayerCompression } from '../../src/oci/index.js';
import { kilnBuildAndPush, kilnBuildImage, kilnPush, skopeoPush, type KilnImage } from './sides.js';

const TOTAL_GOAL: Goal = { op: '<=', limit: 1.0, unit: 'x' };
const REPUSH_GOAL: Goal = { op: '<', limit: 500, unit: 'ms' };
const TAG = 'bench';

const started = Date.now();
function log(message: string): void {
  console.error(`[image bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${message}`);
}

interface Round {
  closureMs: number;
  /** The image build with layers going up as they are written (what kiln does). */
  buildMs: number;
  /** The same build with nothing uploaded meanwhile. */
  buildAloneMs: number;
  pushMs: number;
  skopeoMs: number;
  repushMs: number;
  repushReportedBytes: number;
  repushUpToDate: boolean;
  proxiedRepushMs: number;
  proxiedBlobBytes: number;
  proxiedRequests: string[];
  firstPushBytes: number;
  manifestDigest: string;
  layers: number;
  compressedBytes: number;
}

function imageBytes(image: KilnImage): number {
  return image.built.layers.reduce((sum, l) => sum + l.size, image.built.config.size);
}

async function oneRound(
  fixture: ImageFixture,
  work: string,
  round: number,
  kilnFirst: boolean,
): Promise<Round> {
  const dir = join(work, `round-${round}`);
  const kilnRegistry = await startBenchRegistry(join(dir, 'kiln-registry'));
  const refRegistry = await startBenchRegistry(join(dir, 'reference-registry'));
  const suffix = randomBytes(4).toString('hex');
  try {
    // The layout skopeo copies (and the re-push uses): the same digests as kiln's own build.
    const image = await kilnBuildImage(fixture.root, join(dir, 'layout'), TAG);
    const repository = `bench/image-${round}-${suffix}`;
    let push: Awaited<ReturnType<typeof kilnBuildAndPush>> | undefined;
    let skopeoMs = 0;
    const kilnSide = async (): Promise<void> => {
      push = await kilnBuildAndPush(
        fixture.root,
        join(dir, 'kiln-layout'),
        TAG,
        kilnRegistry.host,
        repository,
      );
    };
    const skopeoSide = async (): Promise<void> => {
      skopeoMs = await skopeoPush(image, refRegistry.host, repository);
    };
    for (const side of kilnFirst ? [kilnSide, skopeoSide] : [skopeoSide, kilnSide]) await side();
    const repush = await kilnPush(image, kilnRegistry.host, repository);
    const proxy = await openCountingProxy(kilnRegistry);
    let proxied: Awaited<ReturnType<typeof kilnPush>>;
    try {
      proxied = await kilnPush(image, proxy.host, repository);
    } finally {
      await proxy.stop();
    }
    return {
      closureMs: push!.image.closureMs,
      buildMs: push!.image.buildMs,
      buildAloneMs: image.buildMs,
      pushMs: push!.pushMs,
      skopeoMs,
      repushMs: repush.ms,
      repushReportedBytes: repush.report.bytesUploaded,
      repushUpToDate: repush.report.upToDate,
      proxiedRepushMs: proxied.ms,
      proxiedBlobBytes: proxy.blobBytes(),
      proxiedRequests: [...proxy.requests],
      firstPushBytes: push!.bytesUploaded,
      manifestDigest: push!.report.manifestDigest,
      layers: image.built.layers.length,
      compressedBytes: imageBytes(image),
    };
  } finally {
    await kilnRegistry.stop();
    await refRegistry.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Variant {
  label: string;
  buildMs: number;
  /** Compressed bytes of the layers and config; undefined for the layers-only experiment. */
  bytes?: number;
}

/**
 * The image build alone in other settings, to see what compression and one-layer-at-a-time cost
 * (medians over `rounds` builds each).
 */
async function buildVariants(fixture: ImageFixture, work: string, rounds: number): Promise<Variant[]> {
  const variants: { label: string; compression: LayerCompression }[] = [
    { label: 'image build, no compression (tar, sha256, write, fsync)', compression: 'none' },
    { label: 'image build, zstd', compression: 'zstd' },
  ];
  const out: Variant[] = [];
  for (const { label, compression } of variants) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < rounds; i++) {
      const dir = join(work, `variant-${i}`);
      try {
        const image = await kilnBuildImage(fixture.root, dir, TAG, { compression });
        times.push(image.buildMs);
        bytes = imageBytes(image);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    out.push({ label, buildMs: median(times), bytes });
  }
  return out;
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const ratio = (value: number): string => `${value.toFixed(2)}x`;

function report(fixture: ImageFixture, rounds: Round[], variants: Variant[]): string {
  const m = (pick: (r: Round) => number): number => median(rounds.map(pick));
  const closureMs = m((r) => r.closureMs);
  const buildMs = m((r) => r.buildMs);
  const pushMs = m((r) => r.pushMs);
  const kilnMs = m((r) => r.closureMs + r.buildMs + r.pushMs);
  const skopeoMs = m((r) => r.skopeoMs);
  const totalRatio = kilnMs / skopeoMs;
  const first = rounds[0]!;
  const digests = new Set(rounds.map((r) => r.manifestDigest));
  const main = renderTable(
    `image of a ${fixture.closure.length}-path closure (${mb(fixture.narBytes)} of NARs; ${first.layers} layers, ` +
      `${mb(first.compressedBytes)} compressed), median of ${rounds.length} rounds`,
    ['', 'time', 'ratio to skopeo', 'goal', ''],
    [
      ['kiln: closure query (nix path-info --json --recursive)', ms(closureMs), '', '', ''],
      ['kiln: image build, layers uploaded as they are written', ms(buildMs), '', '', ''],
      ['kiln: rest of the push (wait for uploads, manifest)', ms(pushMs), '', '', ''],
      [
        'kiln: closure query + build + push',
        ms(kilnMs),
        ratio(totalRatio),
        goalText(TOTAL_GOAL),
        verdict(totalRatio, TOTAL_GOAL),
      ],
      ['skopeo copy oci: → docker:// (push only)', ms(skopeoMs), '1.00x', '', ''],
      ['kiln: blob bytes uploaded by the first push', mb(first.firstPushBytes), '', '', ''],
      [
        'same manifest digest every round (reproducible)',
        digests.size === 1 ? 'yes' : `no (${digests.size} digests)`,
        '',
        '',
        '',
      ],
    ],
  );
  const repushMs = m((r) => r.repushMs);
  const reportedBytes = Math.max(...rounds.map((r) => r.repushReportedBytes));
  const proxiedBytes = Math.max(...rounds.map((r) => r.proxiedBlobBytes));
  const repush = renderTable(
    `unchanged re-push of the same image to the same tag (median of ${rounds.length}; bytes: the largest)`,
    ['', 'value', 'goal', ''],
    [
      ['pushImage, time', ms(repushMs), goalText(REPUSH_GOAL), verdict(repushMs, REPUSH_GOAL)],
      [
        'blob bytes uploaded, as pushImage reports',
        String(reportedBytes),
        '0',
        reportedBytes === 0 ? 'met' : 'missed',
      ],
      [
        'blob bytes seen by a counting proxy (second re-push)',
        String(proxiedBytes),
        '0',
        proxiedBytes === 0 ? 'met' : 'missed',
      ],
      ['pushImage through the proxy, time', ms(m((r) => r.proxiedRepushMs)), '', ''],
      ['requests through the proxy', first.proxiedRequests.join(', '), '', ''],
      ['manifest found up to date', rounds.every((r) => r.repushUpToDate) ? 'yes' : 'no', '', ''],
    ],
  );
  const profile = renderTable(
    "where kiln's image build time goes (medians)",
    ['', 'time', 'compressed size'],
    [
      [
        'image build alone, gzip level 6, 4 layers at a time',
        ms(m((r) => r.buildAloneMs)),
        mb(first.compressedBytes),
      ],
      ...variants.map((v) => [v.label, ms(v.buildMs), v.bytes === undefined ? 'same as gzip' : mb(v.bytes)]),
    ],
  );
  return `${main}\n${repush}\n${profile}`;
}

export async function runImageBench(): Promise<void> {
  const roundCount = envCount('KILN_BENCH_ROUNDS', 3);
  log('building the 50-path closure with nix (reused from earlier runs when already built)');
  const fixture = await buildImageFixture();
  const work = mkdtempSync(join(tmpdir(), 'kiln-bench-image-'));
  try {
    const rounds: Round[] = [];
    for (let i = 0; i < roundCount; i++) {
      const kilnFirst = i % 2 === 0;
      log(`round ${i + 1}/${roundCount} (${kilnFirst ? 'kiln' : 'skopeo'} pushes first)`);
      const round = await oneRound(fixture, work, i, kilnFirst);
      rounds.push(round);
      log(
        `  closure ${ms(round.closureMs)}, build ${ms(round.buildMs)}, push ${ms(round.pushMs)}, ` +
          `skopeo ${ms(round.skopeoMs)}, re-push ${ms(round.repushMs)}`,
      );
    }
    log('image build variants (no compression, zstd, layers 4 at a time)');
    const variants = await buildVariants(fixture, work, roundCount);
    console.log(report(fixture, rounds, variants));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
