import Dockerode from 'dockerode';

// The slice of the Docker API the agent reads; tests hand in a fake of exactly this.
export type DockerDriver = Pick<
  Dockerode,
  'listContainers' | 'listImages' | 'listVolumes' | 'listNetworks' | 'getContainer' | 'getEvents' | 'version'
>;

export interface DockerDriverOptions {
  socketPath: string;
  // Idle timeout of each request; the event stream gets its own client without one.
  timeoutMs: number;
}

export function createDockerDriver({ socketPath, timeoutMs }: DockerDriverOptions): DockerDriver {
  const client = new Dockerode({ socketPath, timeout: timeoutMs });
  // The event stream is a deliberate long wait: an idle timeout would cut it whenever the host is quiet.
  const streaming = new Dockerode({ socketPath });
  return {
    listContainers: client.listContainers.bind(client),
    listImages: client.listImages.bind(client),
    listVolumes: client.listVolumes.bind(client),
    listNetworks: client.listNetworks.bind(client),
    getContainer: client.getContainer.bind(client),
    version: client.version.bind(client),
    getEvents: streaming.getEvents.bind(streaming),
  } as DockerDriver;
}
