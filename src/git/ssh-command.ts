/** Quotes one word for POSIX sh: git runs GIT_SSH_COMMAND through a shell. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface SshCommandInput {
  sshBin: string;
  /** The 0600 temp file holding the private key; absent for anonymous access. */
  keyFile?: string;
  /** Known hosts the server trusts; /dev/null (trust nobody) when not configured. */
  knownHostsFile?: string;
}

/**
 * The GIT_SSH_COMMAND for one git call: only the given key, strict host-key checking against the
 * configured known hosts, never a prompt, and no ssh_config from the machine or the temp HOME.
 */
export function buildSshCommand(input: SshCommandInput): string {
  const words = [shellQuote(input.sshBin), '-F', '/dev/null'];
  if (input.keyFile !== undefined) words.push('-i', shellQuote(input.keyFile));
  words.push(
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    shellQuote(`UserKnownHostsFile=${input.knownHostsFile ?? '/dev/null'}`),
    '-o',
    'BatchMode=yes',
  );
  return words.join(' ');
}
