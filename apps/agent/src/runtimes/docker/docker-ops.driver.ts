import Dockerode from 'dockerode';

// The slice of the Docker API that lifecycle commands use. Every request has an idle timeout.
export type DockerOpsApi = Pick<
  Dockerode,
  | 'createContainer'
  | 'getContainer'
  | 'getImage'
  | 'importImage'
  | 'listContainers'
  | 'pruneImages'
  | 'createVolume'
  | 'getVolume'
  | 'pruneVolumes'
  | 'createNetwork'
  | 'getNetwork'
  | 'modem'
>;

export interface DockerOps {
  api: DockerOpsApi;
  // Deliberate waits (exec, logs, stop, restart) go through a client without a timeout: they last
  // as long as the command asks, and the command's abort signal ends them.
  // Image archives (load, save) and pulls (createImage) too: they move as fast as the other end allows,
  // and the command's deadline ends them.
  waits: Pick<Dockerode, 'getContainer' | 'getExec' | 'createImage' | 'loadImage' | 'modem'> & {
    // docker save of several references (GET /images/get?names=...); dockerode has it, its types do not.
    getImages(opts: { names: string[]; abortSignal?: AbortSignal }): Promise<NodeJS.ReadableStream>;
  };
}

export interface DockerOpsOptions {
  socketPath: string;
  timeoutMs: number;
}

export function createDockerOps({ socketPath, timeoutMs }: DockerOpsOptions): DockerOps {
  const client = new Dockerode({ socketPath, timeout: timeoutMs });
  const waiting = new Dockerode({ socketPath });
  return {
    api: {
      createContainer: client.createContainer.bind(client),
      getContainer: client.getContainer.bind(client),
      getImage: client.getImage.bind(client),
      importImage: client.importImage.bind(client),
      listContainers: client.listContainers.bind(client),
      pruneImages: client.pruneImages.bind(client),
      createVolume: client.createVolume.bind(client),
      getVolume: client.getVolume.bind(client),
      pruneVolumes: client.pruneVolumes.bind(client),
      createNetwork: client.createNetwork.bind(client),
      getNetwork: client.getNetwork.bind(client),
      modem: client.modem,
    } as DockerOpsApi,
    waits: {
      getContainer: waiting.getContainer.bind(waiting),
      getExec: waiting.getExec.bind(waiting),
      createImage: waiting.createImage.bind(waiting),
      getImages: (waiting as unknown as DockerOps['waits']).getImages.bind(waiting),
      loadImage: waiting.loadImage.bind(waiting),
      modem: waiting.modem,
    } as DockerOps['waits'],
  };
}
