import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkRepositoryPath,
  renderBranch,
  validateVersionSync,
  versionFromTag,
  type VersionSyncInput,
} from '../../../src/builds/index.js';
import { isKilnError } from '../../../src/errors/index.js';

const policy = { allowLocal: false };
const base: VersionSyncInput = {
  name: 'hello',
  repository: 'https://git.example/acme/packages.git',
  file: 'pkgs/hello/package.nix',
};

function rejects(input: Partial<VersionSyncInput>, pattern: RegExp, code = 'KILN_ERR_VALIDATION'): void {
  assert.throws(
    () => validateVersionSync({ ...base, ...input }, policy),
    (error: unknown) => isKilnError(error) && error.code === code && pattern.test(error.message),
    JSON.stringify(input),
  );
}

describe('version sync settings', () => {
  it('accepts a full definition and fills nothing it was not given', () => {
    assert.deepEqual(validateVersionSync(base, policy), {
      name: 'hello',
      repository: base.repository,
      ref: null,
      file: 'pkgs/hello/package.nix',
      entry: null,
      attr: null,
      verify: null,
      systems: [],
      branch: null,
      tagPattern: null,
    });
    const full = validateVersionSync(
      {
        ...base,
        ref: 'release/2.x',
        entry: 'default.nix',
        attr: 'pkgs.hello',
        verify: 'result/bin/hello --version',
        systems: ['x86_64-linux', 'x86_64-linux', 'aarch64-linux'],
        branch: 'bump/{name}/{version}',
        tagPattern: '^hello-(\\d.*)$',
      },
      policy,
    );
    assert.deepEqual(full.systems, ['x86_64-linux', 'aarch64-linux']);
    assert.equal(full.branch, 'bump/{name}/{version}');
  });

  it('refuses bad names, paths, URLs, refs, systems, templates and patterns', () => {
    rejects({ name: 'Hello' }, /name/);
    rejects({ name: '-hello' }, /name/);
    rejects({ name: 'a'.repeat(64) }, /name/);
    rejects({ file: '../package.nix' }, /'\.\.'/);
    rejects({ file: 'pkgs/../../package.nix' }, /'\.\.'/);
    rejects({ file: '/etc/package.nix' }, /relative/);
    rejects({ file: 'pkgs//package.nix' }, /empty/);
    rejects({ file: 'pkgs/package.txt' }, /\.nix/);
    rejects({ file: 'pkgs\\package.nix' }, /backslash/);
    rejects({ entry: './default.nix' }, /'\.'/);
    rejects({ repository: 'ext::sh' }, /remote helper/, 'KILN_ERR_GIT_URL');
    rejects({ repository: 'https://user:pw@git.example/x.git' }, /credential|token/i, 'KILN_ERR_GIT_URL');
    rejects({ repository: 'file:///srv/x.git' }, /local|file/i, 'KILN_ERR_GIT_URL');
    rejects({ ref: '--upload-pack=sh' }, /./, 'KILN_ERR_GIT_URL');
    rejects({ attr: 'a;b' }, /./, 'KILN_ERR_GIT_URL');
    rejects({ systems: ['linux'] }, /system/);
    rejects({ verify: 'a\nb' }, /one-line/);
    rejects({ branch: 'bump/{name}' }, /\{version\}/);
    rejects({ branch: 'bump..{version}' }, /branch name/);
    rejects({ tagPattern: '^v.*$' }, /capture group/);
    rejects({ tagPattern: '(' }, /not a regular expression/);
    rejects({ token: '  ' }, /token must not be empty/);
  });
});

describe('paths, branches and tags', () => {
  it('checkRepositoryPath keeps good paths as they are', () => {
    assert.equal(checkRepositoryPath('file', 'a/b-c/package.nix'), 'a/b-c/package.nix');
  });

  it('renderBranch fills {name} and a branch-safe {version}; the default is kiln/bump-NAME-VERSION', () => {
    assert.equal(renderBranch(null, 'hello', '1.1.0'), 'kiln/bump-hello-1.1.0');
    assert.equal(renderBranch('up/{name}/{version}', 'hello', '2.0.0-rc.1'), 'up/hello/2.0.0-rc.1');
    assert.equal(renderBranch(null, 'hello', '1.0 beta~2'), 'kiln/bump-hello-1.0-beta-2');
    assert.throws(() => renderBranch('x/{version}.lock', 'hello', '1'), /branch name/);
  });

  it('versionFromTag takes the first group; the default accepts v1.2.3 and 1.2.3, not other tags', () => {
    assert.equal(versionFromTag('v1.2.3', null), '1.2.3');
    assert.equal(versionFromTag('1.2.3', null), '1.2.3');
    assert.equal(versionFromTag('nightly', null), null);
    assert.equal(versionFromTag('vnext', null), null);
    assert.equal(versionFromTag('hello-2.0', '^hello-(\\d.*)$'), '2.0');
    assert.equal(versionFromTag('world-2.0', '^hello-(\\d.*)$'), null);
    // An optional group that did not take part gives no version.
    assert.equal(versionFromTag('x', '^x(\\d*)$'), null);
  });
});
