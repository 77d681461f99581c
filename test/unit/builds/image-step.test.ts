import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkImageReference, registryHost, runtimeConfig, timestampTag } from '../../../src/builds/index.js';
import type { BuildRecord } from '../../../src/persistence/index.js';

const base = {
  id: 'B01ABC',
  source: { kind: 'git', url: 'https://git.example/app.git' },
  commit: { sha: 'a'.repeat(40) },
  imageConfig: null,
} as unknown as BuildRecord; // only the fields runtimeConfig reads

void describe('image step helpers', () => {
  void it("puts kiln's PATH and labels first, then the user's settings", () => {
    assert.deepEqual(runtimeConfig(base), {
      Env: ['PATH=/bin'],
      Labels: {
        'dev.kiln.build-id': 'B01ABC',
        'org.opencontainers.image.revision': 'a'.repeat(40),
        'org.opencontainers.image.source': 'https://git.example/app.git',
      },
    });
    const config = runtimeConfig({
      ...base,
      imageConfig: {
        entrypoint: ['/bin/app'],
        cmd: ['--serve'],
        env: ['MODE=prod'],
        workingDir: '/srv',
        exposedPorts: ['8080', '53/udp'],
        user: 'app',
      },
    });
    assert.deepEqual(config.Env, ['PATH=/bin', 'MODE=prod']);
    assert.deepEqual(config.Entrypoint, ['/bin/app']);
    assert.deepEqual(config.Cmd, ['--serve']);
    assert.equal(config.WorkingDir, '/srv');
    assert.equal(config.User, 'app');
    assert.deepEqual(config.ExposedPorts, ['8080/tcp', '53/udp'], 'a bare port is tcp');
  });

  void it('keeps the tag current for kiln, refuses digests, and fills the default registry', () => {
    assert.throws(
      () => checkImageReference('reg:5000/app:current', { defaultRegistry: undefined }),
      /current/,
    );
    assert.throws(
      () => checkImageReference(`reg:5000/app@sha256:${'0'.repeat(64)}`, { defaultRegistry: undefined }),
      /not a digest/,
    );
    assert.deepEqual(checkImageReference('team/app:v1', { defaultRegistry: 'localhost:5000' }), {
      registry: 'localhost:5000',
      repository: 'team/app',
      tag: 'v1',
      digest: undefined,
    });
  });

  void it('formats timestamp tags and registry hosts', () => {
    assert.equal(timestampTag(Date.UTC(2026, 10, 22, 2, 5, 33, 999)), '20261122T020533Z');
    assert.equal(registryHost('https://registry.example:5000/'), 'registry.example:5000');
    assert.equal(registryHost('  '), undefined);
  });
});
