import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  MEDIA_TYPES,
  configDocument,
  customisationEntries,
  describeDocument,
  indexDocument,
  manifestDocument,
  ociLayoutDocument,
  parsePathInfo,
  platformOfSystem,
} from '../../../src/oci/index.js';
import { isKilnError } from '../../../src/errors/index.js';

const isValidation = (e: unknown): boolean => isKilnError(e) && e.code === 'KILN_ERR_VALIDATION';

describe('image documents', () => {
  it('writes the config with a fixed key order and sorted maps, whatever order the caller used', () => {
    const bytes = configDocument({
      platform: platformOfSystem('x86_64-linux'),
      diffIds: ['sha256:aa', 'sha256:bb'],
      history: [{ comment: 'store paths: ["/nix/store/x"]' }, { comment: 'customisation layer' }],
      config: {
        Labels: { z: '1', a: '2' },
        Cmd: ['serve'],
        ExposedPorts: ['9090/udp', '80/tcp', '80/tcp'],
        Env: ['PATH=/bin', 'A='],
        Entrypoint: ['/bin/app'],
        WorkingDir: '/srv',
      },
    });
    assert.equal(
      bytes.toString(),
      '{"created":"1970-01-01T00:00:01Z","architecture":"amd64","os":"linux","config":{"ExposedPorts":{"80/tcp":{},"9090/udp":{}},' +
        '"Env":["PATH=/bin","A="],"Entrypoint":["/bin/app"],"Cmd":["serve"],"WorkingDir":"/srv","Labels":{"a":"2","z":"1"}},' +
        '"rootfs":{"type":"layers","diff_ids":["sha256:aa","sha256:bb"]},"history":[{"created":"1970-01-01T00:00:01Z",' +
        '"comment":"store paths: [\\"/nix/store/x\\"]"},{"created":"1970-01-01T00:00:01Z","comment":"customisation layer"}]}',
    );
  });

  it('rejects malformed ports and env entries, and a history that does not match the layers', () => {
    const base = { platform: platformOfSystem('x86_64-linux'), diffIds: [], history: [] };
    for (const port of ['0', '65536', 'http', '80/icmp', '80/']) {
      assert.throws(() => configDocument({ ...base, config: { ExposedPorts: [port] } }), isValidation, port);
    }
    assert.throws(() => configDocument({ ...base, config: { Env: ['NOEQUALS'] } }), isValidation);
    assert.throws(() => configDocument({ ...base, diffIds: ['sha256:aa'] }), isKilnError);
  });

  it('describes a document by the sha256 and length of its exact bytes', () => {
    const bytes = ociLayoutDocument();
    assert.equal(bytes.toString(), '{"imageLayoutVersion":"1.0.0"}');
    assert.deepEqual(describeDocument('x/y', bytes), {
      mediaType: 'x/y',
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      size: bytes.length,
    });
  });

  it('writes a manifest and an index with the OCI media types and sorted annotations', () => {
    const config = { mediaType: MEDIA_TYPES.config, digest: 'sha256:cc', size: 3 };
    const layer = { mediaType: MEDIA_TYPES.layerGzip, digest: 'sha256:11', size: 7 };
    assert.equal(
      manifestDocument(config, [layer], { b: '2', a: '1' }).toString(),
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",' +
        '"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:cc","size":3},' +
        '"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:11","size":7}],' +
        '"annotations":{"a":"1","b":"2"}}',
    );
    assert.equal(
      indexDocument([
        {
          mediaType: MEDIA_TYPES.manifest,
          digest: 'sha256:mm',
          size: 9,
          platform: platformOfSystem('aarch64-linux'),
          annotations: { 'org.opencontainers.image.ref.name': 'latest' },
        },
      ]).toString(),
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[' +
        '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:mm","size":9,' +
        '"platform":{"architecture":"arm64","os":"linux","variant":"v8"},' +
        '"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}',
    );
  });

  it('maps Nix systems to OCI platforms', () => {
    assert.deepEqual(platformOfSystem('x86_64-linux'), { architecture: 'amd64', os: 'linux' });
    assert.deepEqual(platformOfSystem('aarch64-darwin'), {
      architecture: 'arm64',
      os: 'darwin',
      variant: 'v8',
    });
    assert.deepEqual(platformOfSystem('i686-linux'), { architecture: '386', os: 'linux' });
    assert.deepEqual(platformOfSystem('armv7l-linux'), { architecture: 'arm', os: 'linux', variant: 'v7' });
    for (const system of ['x86_64', 'mips-linux', 'x86_64-windows', '', '-linux']) {
      assert.throws(() => platformOfSystem(system), isValidation, system);
    }
  });
});

describe('customisationEntries', () => {
  it('has /etc/passwd, /etc/group, /tmp 1777 and the symlinks with their parent directories', () => {
    const entries = customisationEntries({
      symlinks: [
        { path: '/bin', target: '/nix/store/x-app/bin' },
        { path: 'usr/bin/env', target: '/nix/store/x-app/bin/env' },
      ],
    });
    const byPath = new Map(entries.map((e) => [e.path, e]));
    assert.deepEqual([...byPath.keys()].sort(), [
      'bin',
      'etc',
      'etc/group',
      'etc/passwd',
      'tmp',
      'usr',
      'usr/bin',
      'usr/bin/env',
    ]);
    assert.deepEqual(byPath.get('bin'), { type: 'symlink', path: 'bin', target: '/nix/store/x-app/bin' });
    assert.deepEqual(byPath.get('tmp'), { type: 'directory', path: 'tmp', mode: 0o1777 });
    assert.deepEqual(byPath.get('usr'), { type: 'directory', path: 'usr', mode: 0o755 });
  });

  it('can leave out users and /tmp, and refuses a symlink over a directory it creates', () => {
    assert.deepEqual(customisationEntries({ users: false, tmp: false }), []);
    assert.throws(
      () =>
        customisationEntries({
          symlinks: [
            { path: 'usr/bin', target: '/x' },
            { path: 'usr', target: '/y' },
          ],
        }),
      isValidation,
    );
    assert.throws(() => customisationEntries({ symlinks: [{ path: 'tmp', target: '/x' }] }), isValidation);
  });
});

describe('parsePathInfo', () => {
  it('reads the array form of Nix 2.8 and the object form of newer Nix', () => {
    const entry = { narSize: 120, references: ['/nix/store/b-x'] };
    const expected = [{ path: '/nix/store/a-x', narSize: 120, references: ['/nix/store/b-x'] }];
    assert.deepEqual(
      parsePathInfo(JSON.stringify([{ path: '/nix/store/a-x', narHash: 'sha256:z', ...entry }])),
      expected,
    );
    assert.deepEqual(parsePathInfo(JSON.stringify({ '/nix/store/a-x': entry })), expected);
  });

  it('refuses invalid paths and invalid JSON with KILN_ERR_NIX', () => {
    for (const text of ['not json', '[{"path":"/nix/store/a-x","valid":false}]', '{"/nix/store/a":null}']) {
      assert.throws(
        () => parsePathInfo(text),
        (e: unknown) => isKilnError(e) && e.code === 'KILN_ERR_NIX',
        text,
      );
    }
  });
});
