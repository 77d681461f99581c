import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A git wrapper for GitClientOptions.gitBin that appends what the real git is started with to a
 * log and then execs it: its argv, whether the askpass script and key file exist and their modes,
 * the GIT_SSH_COMMAND, and the protocol config. Lets tests check where secrets travel.
 */
export function recordingGit(dir: string): { gitBin: string; log: string } {
  const log = join(dir, 'git-calls.log');
  const gitBin = join(dir, 'recording-git');
  writeFileSync(
    gitBin,
    `#!/bin/sh
{
  printf 'ARGV:'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\\n'
  if [ -n "$GIT_ASKPASS" ]; then printf 'ASKPASS: %s %s\\n' "$GIT_ASKPASS" "$(stat -c %a "$GIT_ASKPASS")"; fi
  if [ -n "$GIT_SSH_COMMAND" ]; then printf 'SSH: %s\\n' "$GIT_SSH_COMMAND"; fi
  for f in "$HOME"/id_key; do [ -f "$f" ] && printf 'KEY: %s %s\\n' "$f" "$(stat -c %a "$f")"; done
  printf 'HOME: %s %s\\n' "$HOME" "$(stat -c %a "$HOME")"
} >> '${log}'
exec git "$@"
`,
  );
  chmodSync(gitBin, 0o755);
  return { gitBin, log };
}
