import type { CommandParams } from '@corral/protocol';
import type Dockerode from 'dockerode';
import { engineMessage } from '../../../executor/errors.js';
import { CommandFailure, type OpHandler } from '../../../executor/handler.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { hasImage, type PulledImage, pullImage } from './image-pull.op.js';
import { envList, managedLabels } from './op-support.js';

type DockerCreateParams = Extract<CommandParams<'container.create'>, { runtime: 'docker' }>;

// Pure: the create request Docker's API expects for these params.
export function createOptions(p: DockerCreateParams): Dockerode.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp?: string; HostPort: string }[]> = {};
  for (const port of p.ports) {
    const key = `${port.containerPort}/${port.protocol}`;
    exposed[key] = {};
    bindings[key] = bindings[key] ?? [];
    bindings[key].push({
      ...(port.hostIp ? { HostIp: port.hostIp } : {}),
      // 0 or absent: Docker picks a free port.
      HostPort: port.hostPort ? String(port.hostPort) : '',
    });
  }
  return {
    ...(p.name ? { name: p.name } : {}),
    Image: p.image,
    ...(p.command ? { Cmd: p.command } : {}),
    Env: envList(p.env),
    Labels: managedLabels(p.labels),
    ExposedPorts: exposed,
    HostConfig: {
      PortBindings: bindings,
      Mounts: p.mounts.map((m) => ({
        Type: m.source.startsWith('/') ? ('bind' as const) : ('volume' as const),
        Source: m.source,
        Target: m.target,
        ReadOnly: m.readOnly,
      })),
      ...(p.network ? { NetworkMode: p.network } : {}),
      RestartPolicy: { Name: p.restartPolicy === 'no' ? '' : p.restartPolicy },
      ...(p.memoryBytes ? { Memory: p.memoryBytes } : {}),
      ...(p.cpus ? { NanoCpus: Math.round(p.cpus * 1e9) } : {}),
    },
  };
}

export function containerCreateOp(docker: DockerOps): OpHandler<'container.create'> {
  return async (ctx) => {
    const params = ctx.params;
    if (params.runtime !== 'docker') throw new CommandFailure('unsupported', 'not a Docker container');
    // The image first, in this command: a failed pull fails the create before anything exists.
    let pulled: PulledImage | null = null;
    if (params.pull === 'always' || (params.pull === 'missing' && !(await hasImage(docker, params.image)))) {
      pulled = await pullImage(docker, ctx, params.image, { auth: params.registryAuth });
    }
    const container = await docker.api.createContainer(createOptions(params));
    // Docker makes up a name when none was asked for; only then is it worth a round trip to learn it.
    const name = params.name ?? (await container.inspect()).Name.replace(/^\//, '');
    ctx.logger.info('container created', { id: container.id, name });
    if (params.start) {
      try {
        await container.start();
      } catch (error) {
        // The container exists; say so, so that the caller removes or fixes it rather than creating another.
        throw new CommandFailure(
          'engine_error',
          `container ${name} (${container.id.slice(0, 12)}) was created but did not start: ${engineMessage(error)}`,
        );
      }
    }
    // What was pulled, for the controller to record the image's origin as image.pull's would be.
    return pulled
      ? { id: container.id, name, pulled: { ...pulled, reference: params.image } }
      : { id: container.id, name };
  };
}
