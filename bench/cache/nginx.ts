/**
 * The baseline: Debian's nginx with one worker process serving a `nix copy --to file://` cache as
 * static files, as a real process on a free port with its own config, pid file, logs and temp
 * paths (nothing of the system's nginx configuration is used).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, freePort } from './proc.js';

export interface NginxProcess {
  /** Base URL, without a trailing slash. */
  url: string;
  stop(): Promise<void>;
}

/**
 * nginx.conf for one worker serving `root`. Settings are Debian's defaults for static files
 * (sendfile, tcp_nopush) so that the baseline is the nginx an operator would get. `user root`
 * because the benchmark runs as root and its temp dirs may be 0700.
 */
export function nginxConfig(opts: { port: number; root: string; runDir: string }): string {
  const tmp = (name: string): string => join(opts.runDir, 'tmp', name);
  return `user root;
worker_processes 1;
daemon off;
pid ${join(opts.runDir, 'nginx.pid')};
error_log ${join(opts.runDir, 'error.log')} warn;
events {
  worker_connections 1024;
}
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  client_body_temp_path ${tmp('body')};
  proxy_temp_path ${tmp('proxy')};
  fastcgi_temp_path ${tmp('fastcgi')};
  uwsgi_temp_path ${tmp('uwsgi')};
  scgi_temp_path ${tmp('scgi')};
  server {
    listen 127.0.0.1:${opts.port};
    root ${opts.root};
  }
}
`;
}

async function waitUntilServing(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${log()}`);
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not start:\n${log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Starts nginx serving `root` (a directory holding e.g. `cache/NAME/nix-cache-info`). */
export async function startNginx(root: string, runDir: string): Promise<NginxProcess> {
  mkdirSync(join(runDir, 'tmp'), { recursive: true });
  const port = await freePort();
  const conf = join(runDir, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ port, root, runDir }));
  const child = spawn('nginx', ['-c', conf, '-p', runDir, '-e', join(runDir, 'error.log')], {
    env: baseEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilServing(url, child, () => out);
  return {
    url,
    async stop() {
      // SIGQUIT: graceful shutdown of the master and its worker.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
      await exited;
    },
  };
}
