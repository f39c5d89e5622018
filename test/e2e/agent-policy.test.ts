import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type AgentMessage, type CommandResultMessage, PROTOCOL_VERSION, parseAgentMessage } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { detectEngines, sh, TEST_IMAGE } from '../support/engines.js';
import { AppProcess, freePort } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

// A controller that is compromised or out of date, by hand: it sends whatever command frames it
// likes to a real agent, none of the controller's own checks in the way. The agent's own policy
// (CORRAL_AGENT_POLICY, the safe default when unset) must refuse what it forbids.
class ScriptedController {
  readonly frames: AgentMessage[] = [];
  private socket: WebSocket | null = null;
  private server!: WebSocketServer;
  port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = new WebSocketServer({ port: this.port, host: '127.0.0.1' });
    this.server.on('connection', (socket) => {
      this.socket = socket;
      socket.on('message', (data) => {
        const parsed = parseAgentMessage(data.toString());
        if (!parsed.ok) return;
        const message = parsed.message;
        this.frames.push(message);
        if (message.type === 'hello') {
          socket.send(
            JSON.stringify({
              type: 'welcome',
              protocolVersion: PROTOCOL_VERSION,
              hostId: randomUUID(),
              heartbeatIntervalMs: 1_000,
              lastSeq: 0,
              needSnapshot: true,
            }),
          );
        }
        if (message.type === 'snapshot' || message.type === 'delta') {
          socket.send(JSON.stringify({ type: 'ack', seq: message.seq }));
        }
      });
    });
  }

  async synced(): Promise<void> {
    await waitFor('agent snapshot', () => this.frames.some((f) => f.type === 'snapshot'), 60_000);
  }

  // Sends a container.create frame and resolves with the agent's result.
  async create(params: Record<string, unknown>): Promise<CommandResultMessage> {
    const id = randomUUID();
    this.socket!.send(
      JSON.stringify({
        type: 'command',
        id,
        op: 'container.create',
        target: { kind: 'host' },
        params,
        deadline: new Date(Date.now() + 120_000).toISOString(),
      }),
    );
    return waitFor(
      `result of ${id}`,
      () => this.frames.find((f): f is CommandResultMessage => f.type === 'command.result' && f.id === id),
      120_000,
    );
  }

  async stop(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface Started {
  controller: ScriptedController;
  agent: AppProcess;
  stateDir: string;
  lxcPath: string;
}

const tag = randomBytes(3).toString('hex');
const LABEL = `corral.test.policy=${tag}`;
// A "template" and a hook that record that they ran (as root) by writing `marker`.
const script = path.join(os.tmpdir(), `corral-test-evil-${tag}.sh`);
const marker = path.join(os.tmpdir(), `corral-test-evil-${tag}.ran`);

async function startAgent(policy?: string): Promise<Started> {
  const controller = new ScriptedController();
  await controller.start();
  const root = await mkdtemp(path.join(os.tmpdir(), 'corral-agent-policy-'));
  const stateDir = path.join(root, 'state');
  const lxcPath = path.join(root, 'lxc');
  await mkdir(lxcPath);
  // A state dir and journal an older agent left readable: the agent tightens them at start.
  await mkdir(stateDir, { mode: 0o755 });
  await chmod(stateDir, 0o755);
  await writeFile(path.join(stateDir, 'commands.journal'), '', { mode: 0o644 });
  await writeFile(
    path.join(stateDir, 'credential'),
    JSON.stringify({ hostId: randomUUID(), credential: 'crl_agt_x' }),
    {
      mode: 0o600,
    },
  );
  const agent = new AppProcess('agent', {
    CORRAL_CONTROLLER_URL: `ws://127.0.0.1:${controller.port}/agent`,
    CORRAL_STATE_DIR: stateDir,
    CORRAL_LXC_PATHS: lxcPath,
    CORRAL_HOSTNAME: `policy-${tag}`,
    CORRAL_LEASE_FILES: path.join(root, 'none.leases'),
    ...(policy ? { CORRAL_AGENT_POLICY: policy } : {}),
  });
  agent.start();
  await controller.synced().catch((err: Error) => {
    throw new Error(`${err.message}\n${agent.tail()}`);
  });
  return { controller, agent, stateDir, lxcPath };
}

async function stopAgent(started: Started | undefined): Promise<void> {
  if (!started) return;
  await started.agent.kill();
  await started.controller.stop();
  await rm(path.dirname(started.stateDir), { recursive: true, force: true });
}

const docker = (extra: Record<string, unknown>) => ({
  runtime: 'docker',
  image: TEST_IMAGE,
  command: ['sleep', '300'],
  labels: { 'corral.test': '1', 'corral.test.policy': tag },
  start: false,
  ...extra,
});

describe('the agent enforces its own create policy, whatever the controller sends', () => {
  let safe: Started | undefined;
  let granted: Started | undefined;

  beforeAll(async () => {
    const engines = await detectEngines();
    if (!engines.docker || !engines.lxc) throw new Error(`engines missing: ${engines.reasons.join('; ')}`);
    await writeFile(script, `#!/bin/sh\nid -u > ${marker}\nexit 1\n`, { mode: 0o755 });
    safe = await startAgent();
  });

  afterAll(async () => {
    const ids = await sh('docker', ['ps', '-aq', '--filter', `label=${LABEL}`]).catch(() => '');
    for (const id of ids.split('\n').filter(Boolean)) await sh('docker', ['rm', '-f', id]).catch(() => {});
    // Whatever a failed refusal created is destroyed before its directory goes.
    for (const started of [safe, granted]) {
      for (const name of started ? await readdir(started.lxcPath).catch(() => []) : []) {
        await sh('lxc-stop', ['-P', started!.lxcPath, '-n', name, '-k']).catch(() => {});
        await sh('lxc-destroy', ['-P', started!.lxcPath, '-n', name, '-f']).catch(() => {});
      }
    }
    await stopAgent(safe);
    await stopAgent(granted);
    await rm(script, { force: true });
    await rm(marker, { force: true });
  });

  const refusedBy = async (started: Started, params: Record<string, unknown>, rule: string) => {
    const result = await started.controller.create(params);
    expect(result).toMatchObject({ ok: false, error: { code: 'forbidden', retryable: false } });
    expect(result.error!.message).toContain(`rule ${rule}`);
  };

  it('refuses a template path, and the script never runs', async () => {
    await refusedBy(safe!, { runtime: 'lxc', name: `corral-test-p-${tag}`, template: script }, 'lxc.templatePath');
    await expect(stat(marker)).rejects.toThrow(/ENOENT/);
    expect(await readdir(safe!.lxcPath)).toEqual([]);
  });

  it.each([
    ['lxc.hook.destroy', script],
    ['lxc.hook.start', script],
    ['lxc.mount.entry', '/ host none bind 0 0'],
    ['lxc.apparmor.profile', 'unconfined'],
    ['lxc.cap.keep', 'sys_admin'],
    ['lxc.cgroup2.devices.allow', 'a'],
    ['lxc.cgroup.devices.allow', 'a'],
    ['lxc.idmap', 'u 0 0 65536'],
    ['lxc.include', '/etc/passwd'],
  ])('refuses the LXC config key %s', async (key, value) => {
    await refusedBy(
      safe!,
      { runtime: 'lxc', name: `corral-test-k-${tag}`, template: 'busybox', start: false, config: { [key]: value } },
      'lxc.configKeys',
    );
    expect(await readdir(safe!.lxcPath)).toEqual([]);
    await expect(stat(marker)).rejects.toThrow(/ENOENT/);
  });

  it.each([
    ['the / bind mount', { mounts: [{ source: '/', target: '/host' }] }, 'docker.bindMounts'],
    ['the docker.sock bind mount', { mounts: [{ source: '/var/run/docker.sock', target: '/s' }] }, 'docker.bindMounts'],
    ['the host network', { network: 'host' }, 'docker.hostNamespaces'],
    ['a container: network', { network: 'container:whatever' }, 'docker.containerNetwork'],
  ])('refuses %s, and makes no container', async (_, extra, rule) => {
    await refusedBy(safe!, docker(extra), rule);
    expect(await sh('docker', ['ps', '-aq', '--filter', `label=${LABEL}`])).toBe('');
  });

  it('still creates what its policy allows', async () => {
    const volume = await safe!.controller.create(
      docker({ mounts: [{ source: `corral-test-v-${tag}`, target: '/v' }] }),
    );
    expect(volume).toMatchObject({ ok: true });
    await sh('docker', ['rm', '-f', String(volume.result!.id)]);
    await sh('docker', ['volume', 'rm', `corral-test-v-${tag}`]).catch(() => {});
  });

  it('keeps its journal and state files 0600 in a 0700 directory', async () => {
    expect((await stat(safe!.stateDir)).mode & 0o777).toBe(0o700);
    for (const file of ['commands.journal', 'agent-id', 'credential']) {
      expect(((await stat(path.join(safe!.stateDir, file))).mode & 0o777).toString(8)).toBe('600');
    }
  });

  it('allows the host network on a host whose own policy grants it', async () => {
    granted = await startAgent('{"hostNamespaces": true}');
    const result = await granted.controller.create(docker({ network: 'host' }));
    expect(result).toMatchObject({ ok: true });
    await sh('docker', ['rm', '-f', String(result.result!.id)]);
    await refusedBy(granted, docker({ mounts: [{ source: '/', target: '/host' }] }), 'docker.bindMounts');
  });
});
