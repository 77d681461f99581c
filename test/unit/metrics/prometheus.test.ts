import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildMetricFamilies, renderPrometheus } from '../../../src/metrics/index.js';

describe('Prometheus text format', () => {
  it('renders HELP, TYPE and labelled samples, escaping label values', () => {
    const text = renderPrometheus([
      {
        name: 'kiln_builds',
        help: 'Build records by status.\nSecond line',
        type: 'gauge',
        samples: [
          { labels: { status: 'succeeded' }, value: 3 },
          { labels: { status: 'we"ird\\one' }, value: 0.5 },
        ],
      },
      { name: 'kiln_queue_length', help: 'Queue.', type: 'gauge', samples: [{ value: 0 }] },
    ]);
    assert.equal(
      text,
      '# HELP kiln_builds Build records by status.\\nSecond line\n' +
        '# TYPE kiln_builds gauge\n' +
        'kiln_builds{status="succeeded"} 3\n' +
        'kiln_builds{status="we\\"ird\\\\one"} 0.5\n' +
        '# HELP kiln_queue_length Queue.\n# TYPE kiln_queue_length gauge\nkiln_queue_length 0\n',
    );
  });

  it('refuses names Prometheus would reject', () => {
    assert.throws(
      () => renderPrometheus([{ name: 'kiln-builds', help: '', type: 'gauge', samples: [] }]),
      /metric name/,
    );
    assert.throws(
      () =>
        renderPrometheus([
          { name: 'ok', help: '', type: 'gauge', samples: [{ labels: { '1x': 'v' }, value: 1 }] },
        ]),
      /label name/,
    );
  });

  it('turns statistics into build metrics, leaving out averages that do not exist yet', () => {
    const text = renderPrometheus(
      buildMetricFamilies({
        byStatus: { succeeded: 2, failed: 1 },
        queueLength: 4,
        averageBuildTimeMs: 1500,
        averageArtifactSize: null,
        successRate: 66.5,
        workers: { slots: 2, busy: 1 },
      }),
    );
    assert.match(text, /^kiln_builds\{status="failed"\} 1$/m);
    assert.match(text, /^kiln_queue_length 4$/m);
    assert.match(text, /^kiln_build_duration_seconds_average 1\.5$/m);
    assert.match(text, /^kiln_build_success_ratio 0\.665$/m);
    assert.doesNotMatch(text, /^kiln_build_artifact_bytes_average /m);
  });
});
