/**
 * The lines both sides carry: a busybox shell loop that waits for the followers to connect, then
 * prints `lines` numbered lines, one every `intervalMs`. kiln runs it as a Nix builder; the
 * reference relay runs the same script as a plain process.
 */

export interface WriterSpec {
  /** Which of the concurrent writers this is, printed in each line. */
  index: number;
  lines: number;
  intervalMs: number;
  /** Seconds to wait before the first line, so that every follower is connected by then. */
  startDelayS: number;
}

/** The shell script (run by busybox sh); `$out` is written only when running under Nix. */
export function writerScript(spec: WriterSpec): string {
  const pad = 'x'.repeat(60); // a typical log line is some tens of bytes
  return [
    `sleep ${spec.startDelayS}`,
    'i=1',
    `while [ $i -le ${spec.lines} ]; do`,
    `  echo "writer ${spec.index} line $i ${pad}"`,
    `  usleep ${spec.intervalMs * 1000}`,
    '  i=$((i+1))',
    'done',
    'if [ -n "$out" ]; then echo done > "$out"; fi',
  ].join('\n');
}

function nixString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '\\${')}"`;
}

/** A Nix derivation that runs the writer; `nonce` makes it new, so Nix builds it every run. */
export function writerDerivation(spec: WriterSpec, nonce: string): string {
  return [
    'derivation {',
    `  name = "follow-bench-${spec.index}";`,
    '  system = builtins.currentSystem;',
    '  builder = "/bin/sh";',
    '  PATH = "/usr/bin:/bin";',
    `  nonce = "${nonce}";`,
    `  args = [ "-c" ${nixString(writerScript(spec))} ];`,
    '}',
  ].join('\n');
}
