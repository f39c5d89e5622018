import { type Check, type DoctorFinding, manualFix } from '../doctor.facts.js';

export const dockerUnreachable: Check = (f) => {
  const status = f.facts?.runtimes.find((r) => r.name === 'docker');
  // No socket: Docker is not installed here, which is no fault.
  if (!f.docker.socketExists || !status || status.available) return [];
  return [
    {
      id: 'docker-unreachable',
      check: 'docker-unreachable',
      severity: 'critical',
      subject: f.docker.socket,
      message: `the Docker engine does not answer on ${f.docker.socket}`,
      evidence: [`${f.docker.socket} exists`, `docker: ${status.reason ?? 'unavailable'}`],
      ...manualFix('systemctl restart docker'),
    },
  ];
};

export const containersStuck: Check = (f) =>
  f.containers
    .filter((c) => c.runtime === 'docker' && (c.state === 'dead' || c.state === 'removing'))
    .map(
      (c): DoctorFinding => ({
        id: `container-${c.state}:${c.id}`,
        check: c.state === 'dead' ? 'container-dead' : 'container-removing',
        severity: 'warning',
        subject: c.name,
        message:
          c.state === 'dead'
            ? `Docker container ${c.name} is dead (the engine failed to stop or remove it)`
            : `Docker container ${c.name} is stuck in removal`,
        evidence: [`${c.name} (${c.id.slice(0, 12)}): ${c.status ?? c.state}`],
        ...manualFix(`docker rm -f ${c.id.slice(0, 12)}`),
      }),
    );

export const volumesUnused: Check = (f) => {
  const state = new Map(f.containers.filter((c) => c.runtime === 'docker').map((c) => [c.name, c.state]));
  const out: DoctorFinding[] = [];
  for (const v of f.volumes) {
    if (v.usedBy.length === 0) {
      out.push({
        id: `volume-dangling:${v.name}`,
        check: 'volume-dangling',
        severity: 'info',
        subject: v.name,
        message: `volume ${v.name} is used by no container`,
        evidence: [`${v.name}: driver ${v.driver}, no container mounts it`],
        ...manualFix(`docker volume rm ${v.name}`),
      });
      continue;
    }
    if (v.usedBy.some((n) => state.get(n) === 'running')) continue;
    const holders = [...v.usedBy].sort();
    out.push({
      id: `volume-held:${v.name}`,
      check: 'volume-held',
      severity: 'info',
      subject: v.name,
      message: `volume ${v.name} cannot be removed: stopped containers hold it (${holders.join(', ')})`,
      evidence: holders.map((n) => `${n}: ${state.get(n) ?? 'unknown'}`),
      ...manualFix(`docker rm ${holders.join(' ')} && docker volume rm ${v.name}`),
    });
  }
  return out;
};

const WARN_FREE = 0.1;
const CRITICAL_FREE = 0.03;

export const diskNearlyFull: Check = (f) =>
  f.disks
    .filter((d) => d.totalBytes > 0 && d.availableBytes / d.totalBytes < WARN_FREE)
    .map((d): DoctorFinding => {
      const pct = ((d.availableBytes / d.totalBytes) * 100).toFixed(1);
      return {
        id: `disk-full:${d.path}`,
        check: 'disk-full',
        severity: d.availableBytes / d.totalBytes < CRITICAL_FREE ? 'critical' : 'warning',
        subject: d.path,
        message: `the filesystem under ${d.role} ${d.path} is nearly full (${pct}% free)`,
        evidence: [`${d.path}: ${d.availableBytes} of ${d.totalBytes} bytes free`],
        ...(d.role === 'Docker root' ? manualFix('docker system prune') : { fix: null }),
      };
    });

export const DOCKER_CHECKS: Check[] = [dockerUnreachable, containersStuck, volumesUnused, diskNearlyFull];
