import { statusCodeOf } from '../../../executor/errors.js';
import { CommandFailure, type OpHandler } from '../../../executor/handler.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { MANAGED_LABEL, managedLabels, targetId } from './op-support.js';

export function volumeCreateOp(docker: DockerOps): OpHandler<'volume.create'> {
  return async (ctx) => {
    const { name, driver, labels } = ctx.params;
    const volume = await docker.api.createVolume({ Name: name, Driver: driver, Labels: managedLabels(labels) });
    const info = await volume.inspect();
    return { name: info.Name, driver: info.Driver, mountpoint: info.Mountpoint };
  };
}

// Names of the containers (running or not) that mount the volume.
export async function volumeUsers(docker: DockerOps, name: string): Promise<string[]> {
  const containers = await docker.api.listContainers({ all: true, filters: { volume: [name] } });
  return containers.map((c) => c.Names?.[0]?.replace(/^\//, '') || c.Id.slice(0, 12)).sort();
}

function inUse(name: string, users: string[]): CommandFailure {
  const list = users.length > 0 ? users.join(', ') : 'a container';
  return new CommandFailure('in_use', `volume ${name} is in use by ${list}; remove those containers first`);
}

// Refused while any container mounts the volume, even with force: Docker's force only ignores a
// missing volume, and removing data under a container is never what the caller meant.
export function volumeRemoveOp(docker: DockerOps): OpHandler<'volume.remove'> {
  return async (ctx) => {
    const name = targetId(ctx);
    const users = await volumeUsers(docker, name);
    if (users.length > 0) throw inUse(name, users);
    try {
      await docker.api.getVolume(name).remove({ force: ctx.params.force });
    } catch (error) {
      // A container took it between the check and the removal.
      if (statusCodeOf(error) === 409) throw inUse(name, await volumeUsers(docker, name));
      throw error;
    }
    return { name };
  };
}

// Unused volumes that Corral created only: a volume holds data, and one made by hand is not ours to drop.
export function volumePruneOp(docker: DockerOps): OpHandler<'volume.prune'> {
  return async () => {
    const info = await docker.api.pruneVolumes({ filters: { label: [`${MANAGED_LABEL}=true`] } });
    return { removed: info.VolumesDeleted ?? [], spaceReclaimed: info.SpaceReclaimed ?? 0 };
  };
}
