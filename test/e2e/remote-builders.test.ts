import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nonce } from '../helpers/nix.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { sshdUnavailableReason, startSshd, type Sshd } from '../helpers/sshd.js';
import { validIn } from '../helpers/stores.js';

const unavailable = sshdUnavailableReason();

interface BuildJson {
  id: string;
  status: string;
  outputs: string[];
  built: string[];
  error: string | null;
}

async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const res = await runCli(args, env);
  assert.equal(res.code, 0, `kiln ${args.join(' ')}: ${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

describe(
  'Nix remote builders (kiln serve --builders, a real sshd on loopback)',
  { skip: unavailable ?? false },
  () => {
    let dir: string;
    let sshd: Sshd;
    let server: ServerProcess;
    let admin: Record<string, string>;
    let remoteStore: string;
    let machineUri: string;
    // Only the remote machine has this feature, so Nix must send derivations requiring it there.
    const feature = `kiln-remote-${nonce()}`;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-remote-builders-'));
      mkdirSync(join(dir, 'sshd'));
      remoteStore = join(dir, 'remote-store');
      // What works with Nix 2.8: ssh-ng runs `nix-daemon --stdio` on the remote, adding
      // `--store DIR` from the URI's `remote-store=` parameter, so the remote builds into a store of
      // its own (a chroot store) on this same machine. The remote daemon's settings come from
      // NIX_CONFIG, which sshd's SetEnv gives every session: there it has the feature.
      sshd = await startSshd(join(dir, 'sshd'), {
        extraConfig: [`SetEnv NIX_CONFIG="system-features = ${feature}"`],
      });
      machineUri = `ssh-ng://root@127.0.0.1?remote-store=${remoteStore}`;
      const hostKey = Buffer.from(sshd.publicHostKey).toString('base64');
      const machines = join(dir, 'machines');
      writeFileSync(
        machines,
        `# the test's remote builder\n${machineUri} x86_64-linux,aarch64-linux ${sshd.clientKeyFile} 2 1 ${feature} ${feature} ${hostKey}\n`,
      );
      // Nix 2.8's ssh URIs carry no port: NIX_SSHOPTS (kiln's nix.sshOptions) does.
      server = await startServerProcess(join(dir, 'data'), ['--builders', machines], {
        NIX_SSHOPTS: `-p ${sshd.port}`,
      });
      admin = { KILN_SERVER: server.url, KILN_TOKEN: server.token };
    });
    after(async () => {
      await server?.stop();
      await sshd?.close();
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    });

    it('sends a derivation only the remote can build there and gets its output back', async () => {
      const tag = nonce();
      const expr = `derivation {
      name = "remote-${tag}";
      system = "x86_64-linux";
      builder = "/bin/sh";
      requiredSystemFeatures = [ "${feature}" ];
      args = [ "-c" "echo building ${tag} remotely; echo ${tag} > $out" ];
    }`;
      const build = JSON.parse(await cli(['build', '--expr', expr, '--wait', '--json'], admin)) as BuildJson;
      assert.equal(build.status, 'succeeded', build.error ?? '');
      const out = build.outputs[0]!;
      const log = await cli(['logs', build.id], admin);
      assert.ok(log.includes(`kiln: building ${build.built[0]} on ${machineUri}`), log);
      assert.ok(log.includes(`building ${tag} remotely`), 'the remote builder’s output is in the log');
      assert.ok(await validIn(out, remoteStore), 'built in the remote builder’s store');
      assert.ok(await validIn(out), 'and copied back to the worker’s store');
    });

    it("lists the remote builders' systems among the worker's in the registry", async () => {
      const { workers } = JSON.parse(await cli(['workers', '--json'], admin)) as {
        workers: { systems: string[] }[];
      };
      assert.equal(workers.length, 1);
      assert.ok(workers[0]!.systems.includes('aarch64-linux'), workers[0]!.systems.join(','));
      assert.ok(workers[0]!.systems.includes('x86_64-linux'));
    });

    it('builds other derivations locally', async () => {
      const tag = nonce();
      const expr = `derivation { name = "local-${tag}"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo ${tag} > $out" ]; }`;
      const build = JSON.parse(await cli(['build', '--expr', expr, '--wait', '--json'], admin)) as BuildJson;
      assert.equal(build.status, 'succeeded', build.error ?? '');
      const log = await cli(['logs', build.id], admin);
      assert.ok(!log.includes(' on ssh-ng://'), log);
      assert.ok(!(await validIn(build.outputs[0]!, remoteStore)));
    });

    it('refuses to start with a bad machines file, naming the line', async () => {
      const bad = join(dir, 'bad-machines');
      writeFileSync(
        bad,
        `${machineUri} x86_64-linux ${sshd.clientKeyFile} 2\nssh-ng://root@127.0.0.1:${sshd.port} x86_64-linux\n`,
      );
      await assert.rejects(startServerProcess(join(dir, 'bad-data'), ['--builders', bad]), (error: Error) => {
        assert.match(error.message, new RegExp(`${bad} line 2: .*has a port`));
        return true;
      });
    });
  },
);
