import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENGINES_UP, engineLines, findProgram, pingDocker, probeEngines } from './engines.mjs';

describe('probeEngines', () => {
  let dir = '';
  let server: Server | null = null;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'corral-engines-'));
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = null;
    rmSync(dir, { recursive: true, force: true });
  });

  const programs = (...names: string[]) => {
    const b = mkdtempSync(path.join(dir, 'bin-'));
    for (const name of names) {
      writeFileSync(path.join(b, name), '#!/bin/sh\n');
      chmodSync(path.join(b, name), 0o755);
    }
    return b;
  };

  // A stand-in for dockerd's API socket: answers /_ping like the engine does.
  const dockerSocket = async (status = 200) => {
    const socketPath = path.join(dir, 'docker.sock');
    server = createServer((req, res) => {
      res.writeHead(req.url === '/_ping' ? status : 404, { 'api-version': '1.41' });
      res.end('OK');
    });
    await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
    return socketPath;
  };

  it('finds every engine when its programs are there and Docker answers', async () => {
    const socket = await dockerSocket();
    const sut = await probeEngines(
      { PATH: programs('dockerd', 'lxc-start', 'lxc-ls', 'dnsmasq', 'ip', 'bridge'), CORRAL_DOCKER_SOCKET: socket },
      [],
    );
    expect(sut.every((e) => e.ok)).toBe(true);
    expect(engineLines(sut)).toEqual([
      `engines: Docker (API 1.41 on ${socket}), LXC (lxc-start, lxc-ls), dnsmasq (DHCP leases), iproute2 (ip, bridge)`,
    ]);
  });

  it('names everything missing and the one command that installs it', async () => {
    const sut = await probeEngines({ PATH: programs(), CORRAL_DOCKER_SOCKET: path.join(dir, 'none.sock') }, []);
    expect(sut.map((e) => [e.name, e.ok])).toEqual([
      ['Docker', false],
      ['LXC', false],
      ['dnsmasq', false],
      ['iproute2', false],
    ]);
    const lines = engineLines(sut);
    expect(lines[0]).toContain(`Docker (not installed (${path.join(dir, 'none.sock')}: no such socket))`);
    expect(lines[0]).toContain('LXC (no lxc-start or lxc-ls)');
    expect(lines[0]).toContain('the agent reports only host facts');
    expect(lines[1]).toBe(`to install and start them (Debian, as root): ${ENGINES_UP}`);
    expect(ENGINES_UP).toBe('sudo bash scripts/engines-up.sh');
  });

  it('tells an installed dockerd that does not answer from a missing one', async () => {
    const sut = await probeEngines(
      { PATH: programs('dockerd', 'lxc-start', 'lxc-ls', 'ip', 'bridge'), CORRAL_DOCKER_SOCKET: path.join(dir, 'x') },
      [],
    );
    expect(sut[0]).toEqual({
      name: 'Docker',
      ok: false,
      detail: `dockerd is not answering (${path.join(dir, 'x')}: no such socket)`,
    });
    expect(engineLines(sut)[0]).toContain('the agent reports only what LXC, iproute2 show');
  });

  it('counts a Docker socket that answers with an error as not answering', async () => {
    const socket = await dockerSocket(500);
    expect(await pingDocker(socket)).toEqual({ ok: false, reason: `${socket} answered 500` });
  });

  it('looks in the sbin directories a user PATH often lacks', () => {
    const sbin = programs('dnsmasq');
    expect(findProgram('dnsmasq', { PATH: '/nonexistent' }, [sbin])).toBe(path.join(sbin, 'dnsmasq'));
    expect(findProgram('dnsmasq', { PATH: '/nonexistent' }, [])).toBeNull();
  });
});
