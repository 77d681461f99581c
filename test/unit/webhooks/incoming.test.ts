import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  readReleaseHook,
  signBody,
  type HookHeaders,
  type ReleaseHook,
} from '../../../src/webhooks/index.js';

const SECRET = 's3cret';
const hex = (body: string, secret = SECRET): string =>
  createHmac('sha256', secret).update(body).digest('hex');

function github(event: string, payload: unknown, extra: Record<string, string> = {}): [HookHeaders, Buffer] {
  const body = Buffer.from(JSON.stringify(payload));
  return [
    {
      'x-github-event': event,
      'x-github-delivery': 'gh-1',
      'x-hub-signature-256': signBody(SECRET, body),
      ...extra,
    },
    body,
  ];
}

function gitea(event: string, payload: unknown): [HookHeaders, Buffer] {
  const text = JSON.stringify(payload);
  // Gitea sends GitHub's event header too; its own headers decide.
  return [
    {
      'x-gitea-event': event,
      'x-github-event': event,
      'x-gitea-delivery': 'gt-1',
      'x-gitea-signature': hex(text),
    },
    Buffer.from(text),
  ];
}

function gitlab(event: string, payload: unknown, token = SECRET): [HookHeaders, Buffer] {
  return [
    { 'x-gitlab-event': event, 'x-gitlab-event-uuid': 'gl-1', 'x-gitlab-token': token },
    Buffer.from(JSON.stringify(payload)),
  ];
}

const read = ([headers, body]: [HookHeaders, Buffer]): ReleaseHook => readReleaseHook(headers, body, SECRET);

function tagOf(hook: ReleaseHook): string {
  assert.equal(hook.kind, 'tag', JSON.stringify(hook));
  return hook.kind === 'tag' ? hook.tag : '';
}

function ignoredReason(hook: ReleaseHook): string {
  assert.equal(hook.kind, 'ignored', JSON.stringify(hook));
  return hook.kind === 'ignored' ? hook.reason : '';
}

describe('incoming release webhooks: signatures', () => {
  it('GitHub: sha256=HMAC of the exact bytes; another body, secret or shape is refused', () => {
    const [headers, body] = github('release', { action: 'published', release: { tag_name: 'v1.2.3' } });
    assert.equal(tagOf(readReleaseHook(headers, body, SECRET)), 'v1.2.3');
    // One byte more (a re-serialised body) no longer verifies.
    assert.equal(
      readReleaseHook(headers, Buffer.concat([body, Buffer.from(' ')]), SECRET).kind,
      'unauthorized',
    );
    assert.equal(readReleaseHook(headers, body, 'other').kind, 'unauthorized');
    const bare = { ...headers, 'x-hub-signature-256': hex(body.toString()) };
    assert.equal(readReleaseHook(bare, body, SECRET).kind, 'unauthorized', 'the sha256= prefix is required');
    const { ['x-hub-signature-256']: _dropped, ...unsigned } = headers;
    assert.equal(readReleaseHook(unsigned, body, SECRET).kind, 'unauthorized');
    // A SHA-1 signature (X-Hub-Signature) alone is not accepted.
    assert.equal(
      readReleaseHook({ ...unsigned, 'x-hub-signature': 'sha1=00' }, body, SECRET).kind,
      'unauthorized',
    );
  });

  it('Gitea: bare hex HMAC in X-Gitea-Signature, upper or lower case', () => {
    const [headers, body] = gitea('release', { action: 'published', release: { tag_name: 'v2.0.0' } });
    assert.equal(tagOf(readReleaseHook(headers, body, SECRET)), 'v2.0.0');
    const upper = { ...headers, 'x-gitea-signature': String(headers['x-gitea-signature']).toUpperCase() };
    assert.equal(tagOf(readReleaseHook(upper, body, SECRET)), 'v2.0.0');
    const prefixed = { ...headers, 'x-gitea-signature': `sha256=${String(headers['x-gitea-signature'])}` };
    assert.equal(readReleaseHook(prefixed, body, SECRET).kind, 'unauthorized');
    assert.equal(readReleaseHook(headers, body, 'wrong').kind, 'unauthorized');
  });

  it('GitLab: X-Gitlab-Token equal to the secret', () => {
    assert.equal(
      tagOf(read(gitlab('Tag Push Hook', { ref: 'refs/tags/v3.0.0', after: 'a'.repeat(40) }))),
      'v3.0.0',
    );
    assert.equal(read(gitlab('Tag Push Hook', { ref: 'refs/tags/v3.0.0' }, 's3cre')).kind, 'unauthorized');
    assert.equal(
      read(gitlab('Tag Push Hook', { ref: 'refs/tags/v3.0.0' }, `${SECRET} `)).kind,
      'unauthorized',
    );
  });

  it('an empty secret verifies nothing; a request without any event header is refused', () => {
    const [headers, body] = github('release', { action: 'published', release: { tag_name: 'v1' } });
    assert.equal(readReleaseHook(headers, body, '').kind, 'unauthorized');
    assert.equal(
      readReleaseHook({ 'x-hub-signature-256': signBody(SECRET, body) }, body, SECRET).kind,
      'unauthorized',
    );
  });

  it('a signed body that is not a JSON object is invalid', () => {
    const body = Buffer.from('payload=%7B%7D');
    const headers = { 'x-github-event': 'release', 'x-hub-signature-256': signBody(SECRET, body) };
    assert.equal(readReleaseHook(headers, body, SECRET).kind, 'invalid');
    const array = Buffer.from('[1]');
    assert.equal(
      readReleaseHook(
        { 'x-github-event': 'release', 'x-hub-signature-256': signBody(SECRET, array) },
        array,
        SECRET,
      ).kind,
      'invalid',
    );
  });
});

describe('incoming release webhooks: events', () => {
  it('GitHub and Gitea releases: published and released count, other actions are ignored', () => {
    for (const make of [github, gitea]) {
      assert.equal(
        tagOf(read(make('release', { action: 'released', release: { tag_name: 'v1.0' } }))),
        'v1.0',
      );
      assert.match(
        ignoredReason(read(make('release', { action: 'created', release: { tag_name: 'v1.0' } }))),
        /release action 'created'/,
      );
      assert.match(ignoredReason(read(make('release', { action: 'published', release: {} }))), /no tag/);
    }
  });

  it('pushes: a new tag counts; branches, deletions and moved tags are ignored', () => {
    assert.equal(
      tagOf(
        read(
          github('push', { ref: 'refs/tags/v4.5.6', created: true, deleted: false, after: 'a'.repeat(40) }),
        ),
      ),
      'v4.5.6',
    );
    assert.equal(tagOf(read(gitea('push', { ref: 'refs/tags/v4.5.6', after: 'a'.repeat(40) }))), 'v4.5.6');
    assert.match(
      ignoredReason(read(github('push', { ref: 'refs/heads/main', created: true }))),
      /branch push/,
    );
    assert.match(
      ignoredReason(read(github('push', { ref: 'refs/tags/v1', deleted: true, after: '0'.repeat(40) }))),
      /deleted/,
    );
    assert.match(ignoredReason(read(github('push', { ref: 'refs/tags/v1', created: false }))), /updated/);
    assert.match(ignoredReason(read(github('push', { ref: 'refs/notes/x' }))), /not a tag/);
    assert.match(ignoredReason(read(github('push', {}))), /no ref/);
  });

  it('GitLab: tag pushes and created releases count; deletions and updates are ignored', () => {
    assert.equal(tagOf(read(gitlab('Release Hook', { action: 'create', tag: 'v7' }))), 'v7');
    assert.equal(tagOf(read(gitlab('Release Hook', { tag: 'v7' }))), 'v7');
    assert.match(ignoredReason(read(gitlab('Release Hook', { action: 'update', tag: 'v7' }))), /'update'/);
    assert.match(
      ignoredReason(read(gitlab('Tag Push Hook', { ref: 'refs/tags/v7', after: '0'.repeat(40) }))),
      /deleted/,
    );
    assert.match(ignoredReason(read(gitlab('Push Hook', { ref: 'refs/heads/main' }))), /not a tag push/);
  });

  it('other events are ignored, and delivery ids are reported per forge', () => {
    assert.match(ignoredReason(read(github('ping', { zen: 'x' }))), /'ping'/);
    assert.match(ignoredReason(read(github('create', { ref: 'v1', ref_type: 'tag' }))), /'create'/);
    const fromGithub = read(github('release', { action: 'published', release: { tag_name: 'v1' } }));
    const fromGitea = read(gitea('release', { action: 'published', release: { tag_name: 'v1' } }));
    const fromGitlab = read(gitlab('Release Hook', { tag: 'v1' }));
    assert.deepEqual(
      [fromGithub, fromGitea, fromGitlab].map((h) =>
        h.kind === 'tag' ? [h.provider, h.deliveryId] : h.kind,
      ),
      [
        ['github', 'gh-1'],
        ['gitea', 'gt-1'],
        ['gitlab', 'gl-1'],
      ],
    );
  });

  it('an empty or very long tag is ignored', () => {
    assert.match(ignoredReason(read(github('push', { ref: 'refs/tags/' }))), /empty or too long/);
    assert.match(ignoredReason(read(gitlab('Release Hook', { tag: 'v'.repeat(300) }))), /empty or too long/);
  });
});
