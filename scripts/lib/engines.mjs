// What the local agent will find on this machine, for the lines `npm start` prints before starting it.
import { accessSync, constants } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';

// Where Debian puts dnsmasq; a user's PATH often leaves these out.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export const ENGINES_UP = 'sudo bash scripts/engines-up.sh';

export function findProgram(name, env = process.env, extraDirs = SBIN_DIRS) {
  for (const dir of [...(env.PATH ?? '').split(':').filter(Boolean), ...extraDirs]) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory: look in the next.
    }
  }
  return null;
}

// GET /_ping on the Docker socket: the engine's API version when it answers, else why not.
export function pingDocker(socketPath, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve({ ok: true, apiVersion: res.headers['api-version'] ?? null });
      else resolve({ ok: false, reason: `${socketPath} answered ${res.statusCode}` });
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', (error) => {
      if (error.code === 'EACCES') resolve({ ok: false, denied: true, reason: `${socketPath}: permission denied` });
      const code = error.code === 'ENOENT' ? 'no such socket' : null;
      resolve({ ok: false, reason: `${socketPath}: ${code ?? error.message}` });
    });
    req.end();
  });
}

// One entry per engine the agent reports on: whether it is usable here and, if not, why.
export async function probeEngines(env = process.env, extraDirs = SBIN_DIRS) {
  const socket = env.CORRAL_DOCKER_SOCKET || '/var/run/docker.sock';
  const docker = await pingDocker(socket);
  const dockerd = findProgram('dockerd', env, extraDirs);
  const lxc = findProgram('lxc-start', env, extraDirs) && findProgram('lxc-ls', env, extraDirs);
  const ip = findProgram('ip', env, extraDirs);
  const bridge = findProgram('bridge', env, extraDirs);
  return [
    docker.ok
      ? { name: 'Docker', ok: true, detail: `API ${docker.apiVersion ?? '?'} on ${socket}` }
      : {
          name: 'Docker',
          ok: false,
          detail: docker.denied
            ? `${docker.reason}: run npm start as root`
            : dockerd
              ? `dockerd is not answering (${docker.reason})`
              : `not installed (${docker.reason})`,
        },
    lxc
      ? { name: 'LXC', ok: true, detail: 'lxc-start, lxc-ls' }
      : { name: 'LXC', ok: false, detail: 'no lxc-start or lxc-ls' },
    findProgram('dnsmasq', env, extraDirs)
      ? { name: 'dnsmasq', ok: true, detail: 'DHCP leases' }
      : { name: 'dnsmasq', ok: false, detail: 'no dnsmasq, so no DHCP leases to report' },
    ip && bridge
      ? { name: 'iproute2', ok: true, detail: 'ip, bridge' }
      : { name: 'iproute2', ok: false, detail: 'no ip or bridge command, so no Linux bridges' },
  ];
}

// The lines `npm start` prints: what the agent can report, or what is missing and the one command for it.
export function engineLines(engines) {
  const missing = engines.filter((e) => !e.ok);
  if (missing.length === 0) return [`engines: ${engines.map((e) => `${e.name} (${e.detail})`).join(', ')}`];
  const found = engines.filter((e) => e.ok).map((e) => e.name);
  return [
    `this machine lacks ${missing.map((e) => `${e.name} (${e.detail})`).join(', ')}; the agent reports only ` +
      (found.length > 0 ? `what ${found.join(', ')} show` : 'host facts'),
    `to install and start them (Debian, as root): ${ENGINES_UP}`,
  ];
}
