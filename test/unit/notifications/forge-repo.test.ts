import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKilnError } from '../../../src/errors/index.js';
import { parseForgeRepo } from '../../../src/notifications/index.js';

void describe('parseForgeRepo', () => {
  void it('reads owner and name from https, ssh and scp-style URLs, with or without .git', () => {
    const cases: [string, string, string, string][] = [
      ['https://github.com/acme/app.git', 'github.com', 'acme', 'app'],
      ['https://github.com/acme/app', 'github.com', 'acme', 'app'],
      ['https://github.com/acme/app/', 'github.com', 'acme', 'app'],
      ['http://127.0.0.1:3000/team/my.repo.git', '127.0.0.1', 'team', 'my.repo'],
      ['https://x-access-token:tok@GitHub.com/acme/app.git', 'github.com', 'acme', 'app'],
      ['ssh://git@git.example:2222/team/svc.git', 'git.example', 'team', 'svc'],
      ['git@github.com:acme/app.git', 'github.com', 'acme', 'app'],
      ['gitea.example:team/svc', 'gitea.example', 'team', 'svc'],
    ];
    for (const [url, host, owner, repo] of cases) {
      assert.deepEqual(parseForgeRepo(url), { host, owner, repo }, url);
    }
  });

  void it('refuses nested groups, missing parts and other shapes with a clear, token-free error', () => {
    const refused: [string, RegExp][] = [
      [
        'https://gitlab.com/group/sub/app.git',
        /3 parts \(nested groups\?\); GitHub and Gitea repositories are owner\/name/,
      ],
      ['git@gitlab.com:group/sub/app.git', /nested groups/],
      ['https://github.com/acme', /not owner\/name/],
      ['https://github.com/', /not owner\/name/],
      ['file:///srv/git/app.git', /scheme file: is not/],
      ['https://github.com/acme/app.git?ref=main', /no query/],
      ['/srv/git/app.git', /not an https, ssh or scp-style/],
      ['https://github.com/ac%20me/app', /'ac me' is not a valid/],
      ['https://github.com/../app', /not owner\/name|is not a valid/],
    ];
    for (const [url, message] of refused) {
      assert.throws(
        () => parseForgeRepo(url),
        (error: unknown) =>
          isKilnError(error) && error.code === 'KILN_ERR_VALIDATION' && message.test(error.message),
        url,
      );
    }
    assert.throws(
      () => parseForgeRepo('https://user:SECRET@gitlab.com/a/b/c'),
      (error: unknown) =>
        isKilnError(error) &&
        !error.message.includes('SECRET') &&
        !JSON.stringify(error.details).includes('SECRET'),
    );
  });
});
