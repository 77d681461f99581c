import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProjectRecord } from '../../../src/persistence/index.js';
import {
  globToRegExp,
  imageTagFor,
  matchesAny,
  renderGroup,
  runSubmission,
} from '../../../src/projects/index.js';
import { applyProjectInput, defaultSettings } from '../../../src/projects/config.js';

const POLICY = { allowLocal: true };

function project(overrides: Partial<ProjectRecord> = {}): ProjectRecord {
  return {
    name: 'web',
    ...defaultSettings('x86_64-linux'),
    repoUrl: 'https://git.example.com/team/web.git',
    secrets: null,
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  };
}

describe('branch and tag patterns', () => {
  const cases: [string, string, boolean][] = [
    ['main', 'main', true],
    ['main', 'mainline', false],
    ['*', 'feature', true],
    ['*', 'feature/x', false],
    ['**', 'feature/x/y', true],
    ['release/*', 'release/1.2', true],
    ['release/*', 'release/1.2/hotfix', false],
    ['release/**', 'release/1.2/hotfix', true],
    ['v?', 'v1', true],
    ['v?', 'v10', false],
    ['v1.*', 'v1x2', false],
    ['v1.*', 'v1.2', true],
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
  ];
  for (const [pattern, name, expected] of cases) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${name}`, () => {
      assert.equal(globToRegExp(pattern).test(name), expected);
    });
  }
  it('matchesAny: none of an empty list', () => {
    assert.equal(matchesAny([], 'main'), false);
    assert.equal(matchesAny(['dev', 'main'], 'main'), true);
  });
  it('renders group templates', () => {
    assert.equal(
      renderGroup('{project}/{branch} ({ref}) {other}', { project: 'web', branch: 'main', ref: 'main' }),
      'web/main (main) {other}',
    );
  });
  it('image tags from refs', () => {
    assert.equal(imageTagFor('feature/login'), 'feature-login');
    assert.equal(imageTagFor('.hidden'), 'hidden');
    assert.equal(imageTagFor('...'), 'latest');
    assert.equal(imageTagFor('x'.repeat(300)).length, 128);
  });
});

describe('project settings', () => {
  const base = defaultSettings('x86_64-linux');
  it('defaults: every branch, no tags, all flake outputs for the host, one run per branch', () => {
    const s = applyProjectInput(base, { repoUrl: 'https://git.example.com/a.git' }, POLICY);
    assert.deepEqual(s.branches, ['*']);
    assert.deepEqual(s.tags, []);
    assert.deepEqual(s.build, { kind: 'flake', outputs: ['packages', 'checks', 'devShells'] });
    assert.deepEqual(s.systems, ['x86_64-linux']);
    assert.deepEqual(s.concurrency, {
      group: '{project}/{branch}',
      mode: 'replace',
      cancelInProgress: false,
    });
  });
  const bad: [string, Parameters<typeof applyProjectInput>[1], RegExp][] = [
    ['no repository', {}, /repository URL/],
    ['a bad URL', { repoUrl: 'ftp://x/y' }, /./],
    ['a bad branch pattern', { repoUrl: 'https://h/r', branches: ['a b'] }, /branch pattern/],
    [
      'an unknown output set',
      { repoUrl: 'https://h/r', build: { kind: 'flake', outputs: ['apps' as 'packages'] } },
      /not one of/,
    ],
    ['no attributes', { repoUrl: 'https://h/r', build: { kind: 'attrs', attrs: [] } }, /1 to 256/],
    ['a bad system', { repoUrl: 'https://h/r', systems: ['linux'] }, /arch-os/],
    [
      'queue with cancel-in-progress',
      { repoUrl: 'https://h/r', concurrency: { mode: 'queue', cancelInProgress: true } },
      /cannot also cancel/,
    ],
    [
      'an image with a tag',
      { repoUrl: 'https://h/r', build: { kind: 'attrs', attrs: ['a'] }, imageRepo: 'reg/app:1' },
      /without a tag/,
    ],
    [
      'an image for a flake matrix',
      { repoUrl: 'https://h/r', imageRepo: 'reg/app' },
      /exactly one attribute/,
    ],
    [
      'a deploy hook without an image',
      { repoUrl: 'https://h/r', deployHook: 'https://d/x' },
      /goes with an image/,
    ],
    [
      'a notification URL with credentials',
      { repoUrl: 'https://h/r', notify: { url: 'https://u:p@h/x' } },
      /credentials/,
    ],
    ['a multi-line group', { repoUrl: 'https://h/r', concurrency: { group: 'a\nb' } }, /one line/],
  ];
  for (const [what, input, message] of bad) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => applyProjectInput(base, input, POLICY),
        (error: Error & { code?: string }) => {
          assert.equal(error.code?.startsWith('KILN_ERR_'), true);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }
});

describe('runSubmission', () => {
  const trigger = { kind: 'push' as const, actor: 'octocat', forge: 'github' as const, deliveryId: 'd1' };
  const sha = 'a'.repeat(40);
  it('a flake project: a matrix of its output sets and systems in the branch group, at the pushed commit', () => {
    const p = project({ systems: ['x86_64-linux', 'i686-linux'], pushCache: 'main', timeoutSeconds: 60 });
    const s = runSubmission(p, { token: 't0k' }, { branch: 'feature/x', commit: sha, trigger });
    assert.deepEqual(s.source, {
      kind: 'git',
      url: p.repoUrl,
      ref: 'feature/x',
      matrix: {
        sets: ['packages', 'checks', 'devShells'],
        attrs: [],
        systems: ['x86_64-linux', 'i686-linux'],
      },
    });
    assert.deepEqual(s.concurrency, { group: 'web/feature/x', queue: false, cancelInProgress: false });
    assert.deepEqual(s.commit, { sha, branch: 'feature/x' });
    assert.deepEqual(s.credentials, { token: 't0k' });
    assert.equal(s.push, 'main');
    assert.equal(s.timeoutSeconds, 60);
    assert.equal(s.projectId, 'web');
    assert.deepEqual(s.trigger, trigger);
  });
  it('a tag push: the tag is the ref, no branch on the commit', () => {
    const s = runSubmission(project(), {}, { tag: 'v1.0', commit: sha, trigger });
    assert.equal(s.source.kind === 'git' && s.source.ref, 'v1.0');
    assert.deepEqual(s.commit, { sha, branch: null });
    assert.equal(s.concurrency?.group, 'web/v1.0');
    assert.equal(s.credentials, undefined);
  });
  it('one attribute with an image: a plain build per system tagged with the branch', () => {
    const p = project({
      build: { kind: 'attrs', attrs: ['app'] },
      imageRepo: 'registry.local:5000/web',
      deployHook: 'https://deploy/x',
      concurrency: { group: 'deploy-{project}', mode: 'queue', cancelInProgress: false },
    });
    const s = runSubmission(p, {}, { branch: 'release/2', trigger });
    assert.deepEqual(s.source, { kind: 'git', url: p.repoUrl, ref: 'release/2', attr: 'app' });
    assert.equal(s.image, 'registry.local:5000/web:release-2');
    assert.equal(s.deployHook, 'https://deploy/x');
    assert.deepEqual(s.concurrency, { group: 'deploy-web', queue: true, cancelInProgress: false });
    assert.equal(s.commit, undefined);
  });
  it('a template: placeholders in values are filled from the push', () => {
    const p = project({
      build: { kind: 'template', name: 'go-service', values: { src: '{url}#{commit}', ref: '{ref}' } },
    });
    const s = runSubmission(p, {}, { branch: 'main', commit: sha, trigger });
    assert.deepEqual(s.source, {
      kind: 'template',
      name: 'go-service',
      values: { src: `${p.repoUrl}#${sha}`, ref: 'main' },
    });
  });
});
