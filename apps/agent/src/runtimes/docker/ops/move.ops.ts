import type Dockerode from 'dockerode';
import { CommandFailure, type OpHandler } from '../../../executor/handler.js';
import { receiveTree, sendTree } from '../../archive-transfer.js';
import type { DockerOps } from '../docker-ops.driver.js';
import type { ImageImportOptions } from './image-import.op.js';
import { MANAGED_LABEL, managedLabels, targetId } from './op-support.js';

const RESTART = new Set(['always', 'unless-stopped', 'on-failure']);

// Pure: the container.create params (runtime docker) that make a container like the inspected one:
// its image reference, command, env, labels, published ports, mounts, network, restart policy and
// limits; env and labels the image itself sets are left to the image.
export function specOf(
  info: Dockerode.ContainerInspectInfo,
  image: { Config?: { Env?: string[] | null; Labels?: Record<string, string> | null } } | null,
): { spec: Record<string, unknown>; volumes: string[]; binds: string[] } {
  const imageEnv = new Set(image?.Config?.Env ?? []);
  const env: Record<string, string> = {};
  for (const line of info.Config.Env ?? []) {
    if (imageEnv.has(line)) continue;
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  const imageLabels = image?.Config?.Labels ?? {};
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(info.Config.Labels ?? {})) {
    if (k === MANAGED_LABEL || imageLabels[k] === v) continue;
    labels[k] = v;
  }
  const ports: { containerPort: number; protocol: string; hostPort?: number; hostIp?: string }[] = [];
  for (const [key, bindings] of Object.entries(info.HostConfig.PortBindings ?? {})) {
    const [port, protocol = 'tcp'] = key.split('/');
    for (const b of (bindings as { HostIp?: string; HostPort?: string }[] | null) ?? []) {
      ports.push({
        containerPort: Number(port),
        protocol,
        ...(b.HostPort ? { hostPort: Number(b.HostPort) } : {}),
        ...(b.HostIp ? { hostIp: b.HostIp } : {}),
      });
    }
  }
  const volumes: string[] = [];
  const binds: string[] = [];
  const mounts = (info.Mounts ?? []).map((m) => {
    const source = m.Type === 'volume' ? m.Name! : m.Source;
    if (m.Type === 'volume') volumes.push(m.Name!);
    else binds.push(m.Source);
    return { source, target: m.Destination, readOnly: m.RW === false };
  });
  const mode = info.HostConfig.NetworkMode;
  const restart = info.HostConfig.RestartPolicy?.Name ?? '';
  const spec: Record<string, unknown> = {
    runtime: 'docker',
    image: info.Config.Image,
    name: info.Name.replace(/^\//, ''),
    ...(info.Config.Cmd ? { command: info.Config.Cmd } : {}),
    env,
    labels,
    ports,
    mounts,
    ...(mode && mode !== 'default' && mode !== 'bridge' ? { network: mode } : {}),
    restartPolicy: RESTART.has(restart) ? restart : 'no',
    ...(info.HostConfig.Memory ? { memoryBytes: info.HostConfig.Memory } : {}),
    ...(info.HostConfig.NanoCpus ? { cpus: info.HostConfig.NanoCpus / 1e9 } : {}),
    start: true,
  };
  return { spec, volumes, binds };
}

export function containerSpecOp(docker: DockerOps): OpHandler<'container.spec'> {
  return async (ctx) => {
    const info = await docker.api.getContainer(targetId(ctx)).inspect();
    const image = await docker.api
      .getImage(info.Image)
      .inspect()
      .catch(() => null);
    return { ...specOf(info, image), imageId: info.Image };
  };
}

// volume.archive: the volume's contents (its mountpoint on this host) as a tar into the transfer.
export function volumeArchiveOp(docker: DockerOps, upload: ImageImportOptions): OpHandler<'volume.archive'> {
  return async (ctx) => {
    const name = targetId(ctx);
    const { Mountpoint } = await docker.api.getVolume(name).inspect();
    if (!Mountpoint) throw new CommandFailure('unsupported', `volume ${name} has no mountpoint on this host`);
    const bytes = await sendTree(ctx, upload, ctx.params.transferId, Mountpoint, ['.']);
    return { name, bytes };
  };
}

// volume.restore: a new volume filled from the transfer; removed again if anything fails.
export function volumeRestoreOp(docker: DockerOps, upload: ImageImportOptions): OpHandler<'volume.restore'> {
  return async (ctx) => {
    const { name, labels, uploadId } = ctx.params;
    const exists = await docker.api
      .getVolume(name)
      .inspect()
      .then(() => true)
      .catch(() => false);
    if (exists) throw new CommandFailure('conflict', `a volume named ${name} already exists on this host`);
    const volume = await docker.api.createVolume({ Name: name, Labels: managedLabels(labels) });
    try {
      const { Mountpoint } = await volume.inspect();
      const bytes = await receiveTree(ctx, upload, uploadId, Mountpoint);
      return { name, bytes };
    } catch (error) {
      await docker.api
        .getVolume(name)
        .remove({ force: true })
        .catch((e: unknown) => ctx.logger.error('could not remove a half-restored volume', { name, error: e }));
      throw error;
    }
  };
}
