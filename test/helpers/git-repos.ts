import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCommit {
  subject: string;
  author: string;
  email: string;
  /** ISO 8601 with offset, as commitInfo reports it. */
  date: string;
  files: Record<string, string>;
}

/** Runs the real git for test fixtures, isolated from the machine's configuration. */
export function git(cwd: string, args: string[], extraEnv: Record<string, string> = {}): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      LC_ALL: 'C',
      GIT_AUTHOR_NAME: 'Fixture',
      GIT_AUTHOR_EMAIL: 'fixture@example.org',
      GIT_COMMITTER_NAME: 'Fixture',
      GIT_COMMITTER_EMAIL: 'fixture@example.org',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** A working repository with branch `main` and the given commits; returns their SHAs in order. */
export function makeRepo(dir: string, commits: readonly TestCommit[]): string[] {
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '--quiet', '--initial-branch=main']);
  return commits.map((commit) => {
    for (const [name, text] of Object.entries(commit.files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    git(dir, ['add', '--all']);
    git(dir, ['commit', '--quiet', '-m', commit.subject], {
      GIT_AUTHOR_NAME: commit.author,
      GIT_AUTHOR_EMAIL: commit.email,
      GIT_AUTHOR_DATE: commit.date,
      GIT_COMMITTER_NAME: commit.author,
      GIT_COMMITTER_EMAIL: commit.email,
      GIT_COMMITTER_DATE: commit.date,
    });
    return git(dir, ['rev-parse', 'HEAD']);
  });
}

export const COMMITS: TestCommit[] = [
  {
    subject: 'Add the flake',
    author: 'Ada Lovelace',
    email: 'ada@example.org',
    date: '2024-03-01T10:00:00+00:00',
    files: { 'flake.nix': '{ outputs = _: { }; }\n' },
  },
  {
    subject: 'Second commit',
    author: 'Grace Hopper',
    email: 'grace@example.org',
    date: '2024-03-02T11:30:00+01:00',
    files: { 'README.md': 'two\n' },
  },
  {
    subject: 'Third commit: café',
    author: 'Łukasz Test',
    email: 'lukasz@example.org',
    date: '2024-03-03T12:45:00-05:00',
    files: { 'README.md': 'three\n' },
  },
];

/**
 * The standard fixture: `main` with COMMITS, branch `feature` one commit ahead, an annotated tag
 * `v1` on the first commit and a lightweight tag `light` on the second. Returns the SHAs.
 */
export function makeFixtureRepo(dir: string): { main: string[]; feature: string } {
  const main = makeRepo(dir, COMMITS);
  git(dir, ['tag', '-a', 'v1', '-m', 'version 1', main[0] ?? '']);
  git(dir, ['tag', 'light', main[1] ?? '']);
  git(dir, ['checkout', '--quiet', '-b', 'feature']);
  writeFileSync(join(dir, 'feature.txt'), 'feature\n');
  git(dir, ['add', '--all']);
  git(dir, ['commit', '--quiet', '-m', 'Feature work']);
  const feature = git(dir, ['rev-parse', 'HEAD']);
  git(dir, ['checkout', '--quiet', 'main']);
  return { main, feature };
}

/** A bare copy, as servers hold repositories. */
export function bareClone(source: string, target: string): void {
  git(join(target, '..'), ['clone', '--quiet', '--bare', '--', source, target]);
}
