import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli, spawnCli } from '../support/cli.js';
import { Corral } from '../support/corral.js';
import { sh, TEST_IMAGE } from '../support/engines.js';
import { waitFor } from '../support/wait.js';

// The real `corral` binary as a process, against a real controller, agent, Docker and LXC; the
// engines' own view (docker inspect, lxc-info) is what the assertions read.
describe('corral, the command line', () => {
  const corral = new Corral();
  const t = corral.tag;
  const n = {
    web: `cli-web-${t}`,
    web2: `cli-web2-${t}`,
    attached: `cli-att-${t}`,
    lxc: `cli-lxc-${t}`,
    lxcClone: `cli-lxc2-${t}`,
    vol: `cli-vol-${t}`,
    net: `cli-net-${t}`,
    image: `cli-test/imported-${t}:v1`,
    retag: `cli-test/imported-${t}:v2`,
    group: `cli-group-${t}`,
  };
  let home = '';
  let env: Record<string, string> = {};
  // Docker id of the container the placement test made (no restart policy: kill leaves it down).
  let placedEngineId = '';

  const cli = (args: string[], extra: Record<string, string | undefined> = {}, input?: string): Promise<CliRun> =>
    runCli(args, { ...env, ...extra }, input === undefined ? {} : { input });
  // Expects exit 0 and returns stdout.
  const ok = async (args: string[], extra: Record<string, string | undefined> = {}, input?: string) => {
    const r = await cli(args, extra, input);
    if (r.code !== 0) throw new Error(`corral ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const inspect = async (kind: string, name: string) => JSON.parse(await sh('docker', [kind, 'inspect', name]))[0];
  const lxcState = (name: string) => sh('lxc-info', ['-P', corral.lxcPath, '-n', name, '-s', '-H']).catch(() => 'GONE');

  beforeAll(async () => {
    await corral.start();
    home = await mkdtemp(path.join(os.tmpdir(), 'corral-cli-home-'));
    env = { HOME: home, XDG_CONFIG_HOME: '', CORRAL_URL: corral.base, CORRAL_TOKEN: corral.adminToken };
  });

  afterAll(async () => {
    for (const c of [n.web, n.web2, n.attached]) await sh('docker', ['rm', '-f', c]).catch(() => {});
    await sh('bash', ['-c', `docker ps -aq --filter label=corral.group=${n.group} | xargs -r docker rm -f`]).catch(
      () => {},
    );
    for (const c of [n.lxc, n.lxcClone, `${n.lxc}-r`]) {
      await sh('lxc-stop', ['-P', corral.lxcPath, '-n', c, '-k']).catch(() => {});
      await sh('lxc-destroy', ['-P', corral.lxcPath, '-n', c, '-f']).catch(() => {});
    }
    await sh('docker', ['volume', 'rm', '-f', n.vol]).catch(() => {});
    await sh('docker', ['network', 'rm', n.net]).catch(() => {});
    for (const i of [n.image, n.retag]) await sh('docker', ['rmi', '-f', i]).catch(() => {});
    await corral.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('login keeps a context in a 0600 config file; context ls, use and rm; CORRAL_URL overrides it', async () => {
    const noEnv = { CORRAL_URL: undefined, CORRAL_TOKEN: undefined };
    const out = await ok(['login', corral.base, '--token', corral.adminToken, '--name', 'e2e'], noEnv);
    expect(out).toContain('context "e2e"');
    const file = path.join(home, '.config/corral/config.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({
      current: 'e2e',
      contexts: { e2e: { url: corral.base } },
    });
    await ok(['login', corral.base, '--token', corral.adminToken, '--name', 'other'], noEnv);
    expect(await ok(['context', 'ls'], noEnv)).toMatch(/\*\s+other/);
    await ok(['context', 'use', 'e2e'], noEnv);
    expect(await ok(['context', 'ls', '-q'], noEnv)).toBe('e2e\nother\n');
    await ok(['context', 'rm', 'other'], noEnv);
    expect(JSON.parse(await ok(['context', 'ls', '--json'], noEnv))).toHaveLength(1);
    // The saved context works, and the environment wins over it.
    expect(await ok(['hosts', 'ls', '-q'], noEnv)).toContain(corral.hostId);
    const bad = await cli(['hosts', 'ls'], { CORRAL_TOKEN: 'crl_api_not-a-real-token' });
    expect(bad.code).toBe(1);
    const refused = await cli(['login', corral.base, '--token', 'crl_api_wrong'], noEnv);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refused the token');
  });

  it('hosts ls, show, label, cordon, uncordon and drain', async () => {
    expect(await ok(['hosts', 'ls'])).toMatch(new RegExp(`${corral.hostname}\\s+online`));
    expect(JSON.parse(await ok(['hosts', 'show', corral.hostname, '--json'])).id).toBe(corral.hostId);
    await ok(['hosts', 'label', corral.hostname, 'zone=eu', 'disk=ssd']);
    await ok(['hosts', 'label', corral.hostname, 'disk-']);
    expect((await corral.client.host(corral.hostId)).labels).toEqual({ zone: 'eu' });
    await ok(['hosts', 'cordon', corral.hostname, '--reason', 'cli test']);
    expect(await corral.client.host(corral.hostId)).toMatchObject({ cordoned: true, cordonReason: 'cli test' });
    await ok(['hosts', 'uncordon', corral.hostname]);
    expect((await corral.client.host(corral.hostId)).cordoned).toBe(false);
    const drain = JSON.parse(await ok(['hosts', 'drain', corral.hostname, '--json']));
    expect(drain.host.cordoned).toBe(true);
    await ok(['hosts', 'uncordon', corral.hostname]);
  });

  it('run -d with docker flags; the engine shows each of them', async () => {
    const id = (
      await ok([
        'run',
        '-d',
        '--host',
        corral.hostname,
        '--name',
        n.web,
        '-e',
        'GREETING=hi',
        '-p',
        '127.0.0.1::8080',
        '-v',
        `${n.vol}:/data`,
        '--memory',
        '64m',
        '--cpus',
        '0.5',
        '--label',
        'corral.test=1',
        '--restart',
        'unless-stopped',
        TEST_IMAGE,
        'sh',
        '-c',
        'echo hello-log; exec sleep 3600',
      ])
    ).trim();
    const info = await inspect('container', n.web);
    expect(info.State.Running).toBe(true);
    expect(info.Config.Env).toContain('GREETING=hi');
    expect(info.Config.Labels).toMatchObject({ 'corral.test': '1' });
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.HostConfig.RestartPolicy.Name).toBe('unless-stopped');
    expect(info.Mounts.map((m: { Name?: string }) => m.Name)).toContain(n.vol);
    expect(info.HostConfig.PortBindings['8080/tcp'][0].HostIp).toBe('127.0.0.1');
    expect((await corral.client.container(id)).engineId).toBe(info.Id);
  });

  it('run --dry-run explains; run with placement flags places by the constraint', async () => {
    const dry = await ok(['run', '--dry-run', '--binpack', '--memory', '64m', '--constraint', 'zone=eu', TEST_IMAGE]);
    expect(dry).toContain(corral.hostname);
    expect(dry).toMatch(/fits/);
    const none = await cli(['run', '--dry-run', '--constraint', 'zone=mars', TEST_IMAGE]);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('zone=mars');
    expect(none.stderr).toMatch(/would fit (nowhere|anywhere)/);
    const refused = await cli(['run', '-d', '--constraint', 'zone=mars', TEST_IMAGE]);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain('zone=mars');
    const ids = (
      await ok([
        'run',
        '-d',
        '--replicas',
        '1',
        '--group',
        n.group,
        '--spread',
        '--constraint',
        'zone=eu',
        '--label',
        'corral.test=1',
        TEST_IMAGE,
        'sleep',
        '600',
      ])
    ).trim();
    const placed = await corral.client.container(ids);
    expect(placed.hostId).toBe(corral.hostId);
    placedEngineId = placed.engineId;
    expect((await inspect('container', placed.engineId)).Config.Labels['corral.group']).toBe(n.group);
  });

  it("run without -d follows the output and exits with the container's code", async () => {
    const r = await cli([
      'run',
      '--host',
      corral.hostname,
      '--name',
      n.attached,
      '--label',
      'corral.test=1',
      TEST_IMAGE,
      'sh',
      '-c',
      'echo attached-out; exit 5',
    ]);
    expect(r.stdout).toContain('attached-out');
    expect(r.code).toBe(5);
    expect((await inspect('container', n.attached)).State.ExitCode).toBe(5);
  });

  it('run --runtime lxc --template busybox makes a running LXC container', async () => {
    await ok(['run', '--runtime', 'lxc', '--template', 'busybox', '--name', n.lxc, '--host', corral.hostname]);
    expect(await lxcState(n.lxc)).toBe('RUNNING');
  });

  it('ps: fleet-wide, -a, --host, --runtime, --filter, -q and --json', async () => {
    const table = await ok(['ps']);
    expect(table).toContain(n.web);
    expect(table).not.toContain(n.attached);
    expect(await ok(['ps', '-a', '--host', corral.hostname])).toContain(n.attached);
    const lxcOnly = await ok(['ps', '--runtime', 'lxc']);
    expect(lxcOnly).toContain(n.lxc);
    expect(lxcOnly).not.toContain(n.web);
    const q = (await ok(['ps', '-q', '--filter', `name=${n.web}`])).trim().split('\n');
    expect(q).toHaveLength(1);
    expect(JSON.parse(await ok(['ps', '--json', '--filter', `name=${n.web}`]))[0].name).toBe(n.web);
    expect((await cli(['ps', '--filter', 'colour=red'])).code).toBe(2);
  });

  it('inspect by name, engine id prefix and HOST/NAME', async () => {
    const info = await inspect('container', n.web);
    const [byPrefix] = JSON.parse(await ok(['inspect', info.Id.slice(0, 12)]));
    expect(byPrefix.engineId).toBe(info.Id);
    const [qualified] = JSON.parse(await ok(['inspect', `${corral.hostname}/${n.web}`, '--type', 'container']));
    expect(qualified.id).toBe(byPrefix.id);
    expect(JSON.parse(await ok(['inspect', corral.hostname]))[0].id).toBe(corral.hostId);
  });

  it('exec without -i/-t is a recorded command; the exit code and output pass through; -d and commands wait', async () => {
    const r = await cli(['exec', '-e', 'X=41', n.web, 'sh', '-c', 'echo $((X+1)); echo oops >&2; exit 4']);
    expect(r).toMatchObject({ code: 4, stdout: '42\n', stderr: 'oops\n' });
    const piped = await cli(['exec', '-i', n.web, 'sh', '-c', 'tr a-z A-Z'], {}, 'quiet input\n');
    expect(piped).toMatchObject({ code: 0, stdout: 'QUIET INPUT\n' });
    const id = (await ok(['exec', '-d', n.web, 'sleep', '1'])).trim();
    expect(await ok(['commands', 'wait', id])).toContain('succeeded');
    expect(await ok(['commands', 'show', id])).toContain('container.exec');
    expect(await ok(['commands', 'ls', '--op', 'container.exec', '-q'])).toContain(id);
    // A running command is canceled by its agent.
    const long = (await ok(['exec', '-d', n.web, 'sleep', '300'])).trim();
    await waitFor('running', async () => (await corral.client.command(long)).status === 'running', 10_000, 100);
    await ok(['commands', 'cancel', long]);
    expect((await corral.client.waitForCommand(long, 30_000)).status).toBe('canceled');
    const failed = await cli(['commands', 'wait', long]);
    expect(failed.code).toBe(1);
  });

  it('logs, --tail and -f: a line written in the container shows within 1 s; Ctrl-C ends it with 130', async () => {
    expect(await ok(['logs', n.web])).toContain('hello-log');
    await sh('docker', ['exec', n.web, 'sh', '-c', 'echo second-log > /proc/1/fd/1']);
    expect(await ok(['logs', '--tail', '1', n.web])).toBe('second-log\n');
    const child = spawnCli(['logs', '-f', '--tail', '0', n.web], env);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // The stream is open once corral's socket is up; give it a moment, then write.
    await new Promise((r) => setTimeout(r, 1_500));
    const written = Date.now();
    await sh('docker', ['exec', n.web, 'sh', '-c', 'echo followed-line > /proc/1/fd/1']);
    await waitFor('followed line', () => out.includes('followed-line'), 5_000, 10);
    expect(Date.now() - written).toBeLessThan(1_000);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
  });

  it('start, stop, restart, kill, pause, unpause and rename, checked with docker inspect', async () => {
    await ok(['stop', '-t', '1', n.web]);
    expect((await inspect('container', n.web)).State.Status).toBe('exited');
    await ok(['start', n.web]);
    expect((await inspect('container', n.web)).State.Running).toBe(true);
    const before = (await inspect('container', n.web)).State.StartedAt;
    await ok(['restart', '-t', '1', n.web]);
    expect((await inspect('container', n.web)).State.StartedAt).not.toBe(before);
    await ok(['pause', n.web]);
    expect((await inspect('container', n.web)).State.Paused).toBe(true);
    await ok(['unpause', n.web]);
    expect((await inspect('container', n.web)).State.Paused).toBe(false);
    await ok(['rename', n.web, n.web2]);
    expect((await inspect('container', n.web2)).Name).toBe(`/${n.web2}`);
    const id = (await ok(['kill', '-d', '-s', 'KILL', placedEngineId.slice(0, 12)])).trim();
    await ok(['commands', 'wait', id]);
    expect((await inspect('container', placedEngineId)).State).toMatchObject({ Running: false, ExitCode: 137 });
  });

  it('freeze, unfreeze, snapshot, clone, stop, start and rm of an LXC container, checked with lxc-info', async () => {
    await ok(['freeze', n.lxc]);
    expect(await lxcState(n.lxc)).toBe('FROZEN');
    await ok(['unfreeze', n.lxc]);
    expect(await lxcState(n.lxc)).toBe('RUNNING');
    await ok(['stop', n.lxc]);
    expect(await lxcState(n.lxc)).toBe('STOPPED');
    await ok(['snapshot', n.lxc, '--comment', 'cli']);
    expect(await ok(['snapshot', 'ls', n.lxc])).toContain('snap0');
    await ok(['snapshot', 'restore', n.lxc, 'snap0', '--new-name', `${n.lxc}-r`]);
    expect(await lxcState(`${n.lxc}-r`)).toBe('STOPPED');
    await ok(['rm', '-f', `${n.lxc}-r`]);
    await ok(['snapshot', 'rm', n.lxc, 'snap0']);
    expect(await ok(['snapshot', 'ls', n.lxc, '-q'])).toBe('');
    await ok(['clone', n.lxc, n.lxcClone]);
    expect(await lxcState(n.lxcClone)).toBe('STOPPED');
    await ok(['rm', '-f', n.lxcClone]);
    expect(await lxcState(n.lxcClone)).toBe('GONE');
    await ok(['start', n.lxc]);
    expect(await lxcState(n.lxc)).toBe('RUNNING');
  });

  it('images import, ls, tag, rm and prune, checked with docker image inspect', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'corral-cli-rootfs-'));
    const tarball = path.join(dir, 'rootfs.tar');
    try {
      await mkdir(path.join(dir, 'root/bin'), { recursive: true });
      await sh('cp', ['/bin/busybox', path.join(dir, 'root/bin/busybox')]);
      await sh('tar', ['-C', path.join(dir, 'root'), '-cf', tarball, '.']);
      await ok(['images', 'import', tarball, '--host', corral.hostname, '--reference', n.image]);
      const image = await inspect('image', n.image);
      expect(await ok(['images', 'ls', '--host', corral.hostname])).toContain(n.image);
      await ok(['images', 'tag', n.image, n.retag]);
      expect((await inspect('image', n.retag)).Id).toBe(image.Id);
      // The image with both its tags: referenced twice, it needs -f, as with docker rmi of its id.
      const refused = await cli(['images', 'rm', n.retag]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('must be forced');
      await ok(['images', 'rm', '-f', n.retag]);
      await expect(sh('docker', ['image', 'inspect', n.image])).rejects.toThrow();
      // A second import under the same name leaves the first one dangling: prune takes that one only.
      await ok(['images', 'import', tarball, '--host', corral.hostname, '--reference', n.image]);
      const first = (await inspect('image', n.image)).Id;
      await writeFile(path.join(dir, 'root/marker'), t);
      await sh('tar', ['-C', path.join(dir, 'root'), '-cf', tarball, '.']);
      await ok(['images', 'import', tarball, '--host', corral.hostname, '--reference', n.image]);
      const second = (await inspect('image', n.image)).Id;
      expect(second).not.toBe(first);
      await ok(['images', 'prune', '--host', corral.hostname]);
      await expect(sh('docker', ['image', 'inspect', first])).rejects.toThrow();
      await ok(['images', 'rm', n.image]);
      await expect(sh('docker', ['image', 'inspect', second])).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('volumes and networks: create, ls, connect, disconnect, rm, prune; bridges, leases, ip', async () => {
    await ok([
      'networks',
      'create',
      n.net,
      '--host',
      corral.hostname,
      '--subnet',
      '172.31.77.0/24',
      '--label',
      'corral.test=1',
    ]);
    expect((await inspect('network', n.net)).IPAM.Config[0].Subnet).toBe('172.31.77.0/24');
    expect(await ok(['networks', 'ls'])).toContain(n.net);
    await ok(['networks', 'connect', `${corral.hostname}/${n.net}`, n.web2]);
    await ok(['start', n.web2]);
    const ip = (await inspect('container', n.web2)).NetworkSettings.Networks[n.net].IPAddress;
    expect(ip).toMatch(/^172\.31\.77\./);
    await waitFor('ip known', async () => (await ok(['ip', ip])).includes(n.web2), 10_000, 200);
    await ok(['networks', 'disconnect', n.net, n.web2]);
    expect(Object.keys((await inspect('container', n.web2)).NetworkSettings.Networks)).not.toContain(n.net);
    await ok(['networks', 'rm', n.net]);
    await expect(sh('docker', ['network', 'inspect', n.net])).rejects.toThrow();
    expect(await ok(['volumes', 'ls'])).toContain(n.vol);
    const spare = `${n.vol}-spare`;
    await ok(['volumes', 'create', spare, '--host', corral.hostname]);
    expect((await inspect('volume', spare)).Labels['corral.managed']).toBe('true');
    await ok(['volumes', 'rm', spare]);
    await expect(sh('docker', ['volume', 'inspect', spare])).rejects.toThrow();
    await ok(['volumes', 'prune', '--host', corral.hostname]);
    expect(await ok(['bridges', '--host', corral.hostname])).toContain('docker0');
    expect((await cli(['leases', '--json'])).code).toBe(0);
  });

  it('events: a start shows as container-started; -f ends with 130 on Ctrl-C', async () => {
    const watcher = cli(['events', '--for', '8s', '--json', '--type', 'container-started,container-stopped']);
    await new Promise((r) => setTimeout(r, 1_000));
    await ok(['stop', '-t', '1', n.web2]);
    await ok(['start', n.web2]);
    const r = await watcher;
    const types = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).type);
    expect(types).toContain('container-started');
    const child = spawnCli(['events', '-f'], env);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise((r2) => setTimeout(r2, 800));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
  });

  it('tokens, enroll-token and audit', async () => {
    const secret = (await ok(['tokens', 'create', `cli-${t}`, '--role', 'operator', '--expires', '1h', '-q'])).trim();
    expect(secret).toMatch(/^crl_api_/);
    const list = JSON.parse(await ok(['tokens', 'ls', '--json']));
    const made = list.find((x: { name: string }) => x.name === `cli-${t}`);
    expect(made.role).toBe('operator');
    expect(await ok(['ps', '-q'], { CORRAL_TOKEN: secret })).toBeDefined();
    await ok(['tokens', 'revoke', made.id]);
    expect((await cli(['ps'], { CORRAL_TOKEN: secret })).code).toBe(1);
    const enr = (await ok(['enroll-token', '--uses', '2', '--name', `cli-${t}`])).trim();
    expect(enr).toMatch(/^crl_enr_/);
    const enrId = JSON.parse(await ok(['enroll-token', 'ls', '--json'])).find(
      (x: { name: string }) => x.name === `cli-${t}`,
    ).id;
    await ok(['enroll-token', 'revoke', enrId]);
    const audit = JSON.parse(await ok(['audit', '--since', '1h', '--limit', '200', '--json']));
    expect(audit.map((e: { action: string }) => e.action)).toContain('DELETE /api/v1/tokens/:id');
  });

  it('hosts revoke and rm (a second, enrolled host)', async () => {
    const token = (await ok(['enroll-token'])).trim();
    const other = await corral.client.enroll({ token, agentId: `cli-agent-${t}-0000`, hostname: `cli-other-${t}` });
    expect(await ok(['hosts', 'revoke', `cli-other-${t}`])).toContain('revoked');
    await ok(['hosts', 'rm', other.hostId]);
    expect(await ok(['hosts', 'ls'])).not.toContain(`cli-other-${t}`);
  });

  it('bad input: one line naming the problem and the fix, with the documented exit codes', async () => {
    const unknown = await cli(['stop', 'no-such-container']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('no container is named or has the id "no-such-container"');
    expect(unknown.stderr).toContain('corral ps -a');
    const execUnknown = await cli(['exec', '-it', 'no-such-container', 'sh']);
    expect(execUnknown.code).toBe(2);
    const execUnknownI = await cli(['exec', '-i', 'no-such-container', 'sh']);
    expect(execUnknownI.code).toBe(125);
    // A Docker and an LXC container with one name: ambiguous, and the candidates are named.
    await ok(['run', '--runtime', 'lxc', '--name', n.web2, '--host', corral.hostname]);
    try {
      const ambiguous = await cli(['stop', n.web2]);
      expect(ambiguous.code).toBe(1);
      expect(ambiguous.stderr.trim().split('\n')).toHaveLength(1);
      expect(ambiguous.stderr).toContain(`${corral.hostname}/${n.web2}`);
      expect(ambiguous.stderr).toContain('by its id');
    } finally {
      const lxcId = JSON.parse(await ok(['ps', '--runtime', 'lxc', '--filter', `name=${n.web2}`, '--json']))[0].id;
      await ok(['rm', '-f', lxcId]);
    }
    // An expired token (its expiry moved into the past in the database).
    const secret = (await ok(['tokens', 'create', `exp-${t}`, '--expires', '1h', '-q'])).trim();
    const db = new pg.Client({ connectionString: corral.db.url });
    await db.connect();
    await db.query(`UPDATE "ApiToken" SET "expiresAt" = now() - interval '1 second' WHERE name = $1`, [`exp-${t}`]);
    await db.end();
    await new Promise((r) => setTimeout(r, 2_100));
    const expired = await cli(['ps'], { CORRAL_TOKEN: secret });
    expect(expired.code).toBe(1);
    expect(expired.stderr).toContain('expired');
    expect(expired.stderr).toContain('corral login');
    expect(expired.stderr.trim().split('\n')).toHaveLength(1);
    const noConfig = await cli(['ps'], {
      CORRAL_URL: undefined,
      CORRAL_TOKEN: undefined,
      HOME: await mkdtemp(path.join(os.tmpdir(), 'corral-empty-')),
    });
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toContain('corral login');
    expect((await cli(['ps', '--nope'])).code).toBe(2);
    const unreachable = await cli(['ps'], { CORRAL_URL: 'http://127.0.0.1:4' });
    expect(unreachable.code).toBe(125);
    expect(unreachable.stderr).toContain('cannot reach the controller');
  });

  it('completion scripts for bash and zsh complete commands', async () => {
    const script = path.join(home, 'corral.bash');
    await writeFile(script, await ok(['completion', 'bash']));
    const words = await sh('bash', [
      '-c',
      `source ${script}; COMP_WORDS=(corral ho); COMP_CWORD=1; _corral; echo "\${COMPREPLY[@]}"`,
    ]);
    expect(words.split(' ')).toContain('hosts');
    const sub = await sh('bash', [
      '-c',
      `source ${script}; COMP_WORDS=(corral hosts c); COMP_CWORD=2; _corral; echo "\${COMPREPLY[@]}"`,
    ]);
    expect(sub.split(' ').sort()).toEqual(['cordon']);
    expect(await ok(['completion', 'zsh'])).toMatch(/^#compdef corral/);
  });

  it('rm -f removes a container; the engine no longer has it', async () => {
    await ok(['rm', '-f', n.web2, n.attached]);
    await expect(sh('docker', ['inspect', n.web2])).rejects.toThrow();
    expect((await cli(['ps', '-a', '-q', '--filter', `name=${n.web2}`])).stdout).toBe('');
  });
});
