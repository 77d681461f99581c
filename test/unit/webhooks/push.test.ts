import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixturesDir } from '../../helpers/paths.js';
import { readPushHook, signBody, type HookHeaders, type PushHook } from '../../../src/webhooks/index.js';

const SECRET = 'push-s3cret';
type Forge = 'github' | 'gitlab' | 'gitea';

/** The exact bytes of a stored payload (signatures are over these bytes, not a re-serialisation). */
const fixture = (name: string): Buffer => readFileSync(join(fixturesDir, 'forge-payloads', `${name}.json`));

/** The headers each forge sends with `body`, signed with `secret`. */
function headersFor(forge: Forge, event: string, body: Uint8Array, secret = SECRET): Record<string, string> {
  switch (forge) {
    case 'github':
      return {
        'x-github-event': event,
        'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        'x-hub-signature-256': signBody(secret, body),
      };
    case 'gitea':
      // Gitea also sends GitHub's and Gogs' headers; its own decide.
      return {
        'x-gitea-event': event,
        'x-github-event': event,
        'x-gogs-event': event,
        'x-gitea-delivery': 'f6266f16-1bf3-46a5-9ea4-602e06ead473',
        'x-gitea-signature': createHmac('sha256', secret).update(body).digest('hex'),
      };
    case 'gitlab':
      return {
        'x-gitlab-event': event,
        'x-gitlab-event-uuid': '13792a34-cac6-4fda-95a8-c58e00a3954e',
        'x-gitlab-token': secret,
      };
  }
}

const PUSH_EVENT: Record<Forge, string> = { github: 'push', gitea: 'push', gitlab: 'Push Hook' };

function read(forge: Forge, event: string, body: Buffer): PushHook {
  return readPushHook(headersFor(forge, event, body), body, SECRET);
}

type Build = Extract<PushHook, { kind: 'push' | 'tag' }>;
function accepted(hook: PushHook): Build {
  assert.ok(hook.kind === 'push' || hook.kind === 'tag', JSON.stringify(hook));
  return hook;
}
function reasonOf(hook: PushHook, kind: 'ignored' | 'invalid' | 'unauthorized'): string {
  assert.equal(hook.kind, kind, JSON.stringify(hook));
  return 'reason' in hook ? hook.reason : '';
}

void describe('push webhooks: the forges documented payloads', () => {
  void it('GitHub branch push: ref, branch, commit, before, pusher login, repository URLs, head commit', () => {
    const hook = accepted(read('github', 'push', fixture('github-push')));
    assert.deepEqual(hook, {
      kind: 'push',
      provider: 'github',
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      ref: 'refs/heads/master',
      branch: 'master',
      tag: null,
      commit: 'be42068a54defbbb573bb5738df5ff4a12f62181',
      before: 'f42f6e7a95daed777b023010ce2723fa7f56a467',
      pusher: 'McFoggy',
      repository: {
        cloneUrl: 'https://github.com/McFoggy/github-api-events.git',
        sshUrl: 'git@github.com:McFoggy/github-api-events.git',
        webUrl: 'https://github.com/McFoggy/github-api-events',
        fullName: 'McFoggy/github-api-events',
      },
      headCommit: {
        message: 'switching to beeceptor.com',
        author: 'Matthieu Brouillard',
        timestamp: '2019-03-29T07:57:33+01:00',
      },
    });
  });

  void it('GitHub tag push arrives as push to refs/tags/: kind tag, a new ref has no before', () => {
    const hook = accepted(read('github', 'push', fixture('github-tag-push')));
    assert.equal(hook.kind, 'tag');
    assert.equal(hook.tag, 'tag2');
    assert.equal(hook.branch, null);
    assert.equal(hook.ref, 'refs/tags/tag2');
    assert.equal(hook.commit, '98248f0e892ce4e4e37411730ac98b53f2aa1261');
    assert.equal(hook.before, null, 'all zeros: the ref is new');
    assert.equal(hook.pusher, 'nevik');
    assert.equal(hook.headCommit?.message, 'commit 4');
  });

  void it('GitHub ping and branch deletion are ignored, with the reason', () => {
    assert.match(reasonOf(read('github', 'ping', fixture('github-ping')), 'ignored'), /ping/);
    assert.match(
      reasonOf(read('github', 'push', fixture('github-delete')), 'ignored'),
      /refs\/heads\/feature was deleted/,
    );
    // GitHub's `deleted: true` alone is enough, whatever `after` says.
    const payload = JSON.parse(fixture('github-push').toString()) as Record<string, unknown>;
    const deleted = Buffer.from(JSON.stringify({ ...payload, deleted: true }));
    assert.match(reasonOf(read('github', 'push', deleted), 'ignored'), /deleted/);
  });

  void it('GitLab Push Hook: checkout_sha, user_username, project URLs, the head commit among commits', () => {
    const hook = accepted(read('gitlab', 'Push Hook', fixture('gitlab-push')));
    assert.deepEqual(hook, {
      kind: 'push',
      provider: 'gitlab',
      deliveryId: '13792a34-cac6-4fda-95a8-c58e00a3954e',
      ref: 'refs/heads/master',
      branch: 'master',
      tag: null,
      commit: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
      pusher: 'jsmith',
      repository: {
        cloneUrl: 'http://example.com/mike/diaspora.git',
        sshUrl: 'git@example.com:mike/diaspora.git',
        webUrl: 'http://example.com/mike/diaspora',
        fullName: 'mike/diaspora',
      },
      headCommit: {
        message: 'fixed readme',
        author: 'GitLab dev user',
        timestamp: '2012-01-03T23:36:29+02:00',
      },
    });
  });

  void it('GitLab Tag Push Hook: kind tag; no user_username falls back to the name; no commits, no head commit', () => {
    const hook = accepted(read('gitlab', 'Tag Push Hook', fixture('gitlab-tag-push')));
    assert.equal(hook.kind, 'tag');
    assert.equal(hook.tag, 'v1.0.0');
    assert.equal(hook.commit, '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7');
    assert.equal(hook.pusher, 'John Smith');
    assert.equal(hook.headCommit, null);
    assert.equal(hook.repository.fullName, 'jsmith/example');
  });

  void it('GitLab: a deletion (zeros, no checkout_sha) and other events are ignored', () => {
    assert.match(reasonOf(read('gitlab', 'Push Hook', fixture('gitlab-delete')), 'ignored'), /deleted/);
    assert.match(
      reasonOf(read('gitlab', 'Merge Request Hook', fixture('gitlab-push')), 'ignored'),
      /Merge Request Hook/,
    );
    // A tag push of a branch ref is not what GitLab sends: refused, not guessed.
    assert.match(reasonOf(read('gitlab', 'Tag Push Hook', fixture('gitlab-push')), 'invalid'), /not a tag/);
  });

  void it('Gitea push: pusher login, repository URLs, head commit found among commits', () => {
    const hook = accepted(read('gitea', 'push', fixture('gitea-push')));
    assert.equal(hook.provider, 'gitea');
    assert.equal(hook.deliveryId, 'f6266f16-1bf3-46a5-9ea4-602e06ead473');
    assert.equal(hook.branch, 'develop');
    assert.equal(hook.commit, 'bffeb74224043ba2feb48d137756c8a9331c449a');
    assert.equal(hook.before, '28e1879d029cb852e4844d9c718537df08844e03');
    assert.equal(hook.pusher, 'gitea');
    assert.deepEqual(hook.repository, {
      cloneUrl: 'http://localhost:3000/gitea/webhooks.git',
      sshUrl: 'ssh://gitea@localhost:2222/gitea/webhooks.git',
      webUrl: 'http://localhost:3000/gitea/webhooks',
      fullName: 'gitea/webhooks',
    });
    assert.deepEqual(hook.headCommit, {
      message: 'Webhooks Yay!',
      author: 'Gitea',
      timestamp: '2017-03-13T13:52:11-04:00',
    });
  });

  void it('Gitea tag push builds; its create event and a deleted branch are ignored', () => {
    const tag = accepted(read('gitea', 'push', fixture('gitea-tag-push')));
    assert.equal(tag.kind, 'tag');
    assert.equal(tag.tag, 'v1.0.0');
    assert.match(
      reasonOf(read('gitea', 'create', fixture('gitea-create')), 'ignored'),
      /'create' is not a push/,
    );
    assert.match(reasonOf(read('gitea', 'push', fixture('gitea-delete')), 'ignored'), /deleted/);
  });
});

void describe('push webhooks: signatures', () => {
  const cases: [Forge, string][] = [
    ['github', 'github-push'],
    ['gitea', 'gitea-push'],
    ['gitlab', 'gitlab-push'],
  ];
  for (const [forge, name] of cases) {
    void it(`${forge}: only the right secret over the exact bytes is accepted`, () => {
      const body = fixture(name);
      const event = PUSH_EVENT[forge];
      assert.equal(readPushHook(headersFor(forge, event, body), body, SECRET).kind, 'push');
      // Signed with another secret.
      assert.match(
        reasonOf(readPushHook(headersFor(forge, event, body, 'wrong'), body, SECRET), 'unauthorized'),
        new RegExp(`${forge} webhook signature is missing or wrong`),
      );
      // No signature header at all.
      const unsigned: Record<string, string> = { ...headersFor(forge, event, body) };
      delete unsigned['x-hub-signature-256'];
      delete unsigned['x-gitea-signature'];
      delete unsigned['x-gitlab-token'];
      assert.equal(readPushHook(unsigned, body, SECRET).kind, 'unauthorized');
      // An empty configured secret never verifies, even against an empty token.
      assert.equal(readPushHook(headersFor(forge, event, body, ''), body, '').kind, 'unauthorized');
    });
  }

  for (const forge of ['github', 'gitea'] as const) {
    void it(`${forge}: a signature over another body, or a tampered body, is refused`, () => {
      const body = fixture(`${forge}-push`);
      const other = fixture(`${forge}-tag-push`);
      assert.equal(readPushHook(headersFor(forge, 'push', other), body, SECRET).kind, 'unauthorized');
      const tampered = Buffer.from(body.toString().replace('refs/heads/', 'refs/heads/evil-'));
      assert.notDeepEqual(tampered, body);
      assert.equal(readPushHook(headersFor(forge, 'push', body), tampered, SECRET).kind, 'unauthorized');
      // Whitespace is part of the bytes too: a re-serialised body no longer verifies.
      const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString())));
      assert.equal(readPushHook(headersFor(forge, 'push', body), reserialised, SECRET).kind, 'unauthorized');
    });
  }

  void it('a request with no forge event header is unauthorized', () => {
    const body = fixture('github-push');
    const headers: HookHeaders = { 'x-hub-signature-256': signBody(SECRET, body) };
    assert.match(reasonOf(readPushHook(headers, body, SECRET), 'unauthorized'), /no event header/);
  });
});

void describe('push webhooks: malformed payloads are refused with what was wrong', () => {
  const signedRead = (forge: Forge, payload: unknown): PushHook => {
    const body = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    return readPushHook(headersFor(forge, PUSH_EVENT[forge], body), body, SECRET);
  };
  const base = (forge: Forge): Record<string, unknown> =>
    JSON.parse(fixture(`${forge}-push`).toString()) as Record<string, unknown>;

  void it('bodies that are not JSON objects', () => {
    for (const forge of ['github', 'gitea', 'gitlab'] as const) {
      assert.match(reasonOf(signedRead(forge, '{"ref": '), 'invalid'), /not JSON/);
      assert.match(reasonOf(signedRead(forge, '[1,2]'), 'invalid'), /not a JSON object/);
      assert.match(reasonOf(signedRead(forge, '"push"'), 'invalid'), /not a JSON object/);
      assert.match(reasonOf(signedRead(forge, 'null'), 'invalid'), /not a JSON object/);
    }
  });

  void it('fields of the wrong type', () => {
    assert.match(
      reasonOf(signedRead('github', { ...base('github'), ref: 42 }), 'invalid'),
      /ref must be a string/,
    );
    assert.match(
      reasonOf(signedRead('github', { ...base('github'), after: null }), 'invalid'),
      /after is missing/,
    );
    assert.match(
      reasonOf(signedRead('gitea', { ...base('gitea'), pusher: 'gitea' }), 'invalid'),
      /pusher must be an object/,
    );
    assert.match(
      reasonOf(signedRead('github', { ...base('github'), repository: { clone_url: ['x'] } }), 'invalid'),
      /repository\.clone_url must be a string/,
    );
    assert.match(
      reasonOf(signedRead('gitlab', { ...base('gitlab'), commits: {} }), 'invalid'),
      /commits must be an array/,
    );
    assert.match(
      reasonOf(signedRead('github', { ...base('github'), head_commit: { message: 7 } }), 'invalid'),
      /head_commit\.message must be a string/,
    );
  });

  void it('SHAs that are not 40 or 64 hex digits', () => {
    assert.match(
      reasonOf(signedRead('github', { ...base('github'), after: 'main' }), 'invalid'),
      /after is not a commit SHA \(40 or 64 hex digits\): "main"/,
    );
    assert.match(
      reasonOf(signedRead('gitea', { ...base('gitea'), before: 'abc123' }), 'invalid'),
      /before is not a commit SHA/,
    );
    assert.match(
      reasonOf(signedRead('gitlab', { ...base('gitlab'), checkout_sha: 'g'.repeat(40) }), 'invalid'),
      /checkout_sha is not a commit SHA/,
    );
    // SHA-256 repositories: 64 hex digits are a commit; upper case is normalised.
    const sha256 = 'AB'.repeat(32);
    const hook = accepted(signedRead('github', { ...base('github'), after: sha256, head_commit: null }));
    assert.equal(hook.commit, sha256.toLowerCase());
  });

  void it('refs that are not Git refs', () => {
    const bad = [
      'main',
      'refs/heads/a..b',
      'refs/heads/a b',
      'refs/heads/x.lock',
      'refs/heads/',
      'refs/heads/.hidden',
      'refs/heads/a@{1}',
      'refs/heads/a\u0000',
    ];
    for (const ref of bad) {
      assert.match(
        reasonOf(signedRead('github', { ...base('github'), ref }), 'invalid'),
        /is not a valid Git ref/,
        ref,
      );
    }
    // A well-formed ref that is neither a branch nor a tag is not built.
    assert.match(
      reasonOf(signedRead('github', { ...base('github'), ref: 'refs/pull/1/head' }), 'ignored'),
      /not to a branch or a tag/,
    );
    // Branch names with slashes are branches.
    assert.equal(
      accepted(signedRead('gitea', { ...base('gitea'), ref: 'refs/heads/release/1.x' })).branch,
      'release/1.x',
    );
  });
});
