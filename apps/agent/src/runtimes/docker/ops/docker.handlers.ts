import type { OpHandlers } from '../../../executor/handler.js';
import type { DockerOps } from '../docker-ops.driver.js';
import { containerCommitOp } from './container-commit.op.js';
import { containerCreateOp } from './container-create.op.js';
import { containerExecOp, type ExecOptions } from './container-exec.op.js';
import { containerLogsOp } from './container-logs.op.js';
import { containerRemoveOp, containerRenameOp } from './container-remove.op.js';
import {
  containerKillOp,
  containerPauseOp,
  containerRestartOp,
  containerStartOp,
  containerStopOp,
  containerUnpauseOp,
} from './container-state.op.js';
import { imagePruneOp, imageRemoveOp, imageTagOp } from './image.ops.js';
import { imageLoadOp, imageSaveOp } from './image-archive.op.js';
import { type ImageImportOptions, imageImportOp } from './image-import.op.js';
import { imagePullOp } from './image-pull.op.js';
import { containerSpecOp, volumeArchiveOp, volumeRestoreOp } from './move.ops.js';
import { networkConnectOp, networkCreateOp, networkDisconnectOp, networkRemoveOp } from './network.ops.js';
import { volumeCreateOp, volumePruneOp, volumeRemoveOp } from './volume.ops.js';

export interface DockerHandlerOptions {
  upload: ImageImportOptions;
  exec?: ExecOptions;
}

// Every op Docker can do. Engine errors propagate as thrown by dockerode; the executor maps them.
export function createDockerHandlers(docker: DockerOps, options: DockerHandlerOptions): OpHandlers {
  return {
    'container.create': containerCreateOp(docker),
    'container.start': containerStartOp(docker),
    'container.stop': containerStopOp(docker),
    'container.restart': containerRestartOp(docker),
    'container.kill': containerKillOp(docker),
    'container.pause': containerPauseOp(docker),
    'container.unpause': containerUnpauseOp(docker),
    'container.remove': containerRemoveOp(docker),
    'container.rename': containerRenameOp(docker),
    'container.exec': containerExecOp(docker, options.exec),
    'container.logs': containerLogsOp(docker),
    'container.commit': containerCommitOp(docker),
    'image.import': imageImportOp(docker, options.upload),
    'image.pull': imagePullOp(docker),
    'image.load': imageLoadOp(docker, options.upload),
    'image.copy': imageLoadOp(docker, options.upload),
    'image.save': imageSaveOp(docker, options.upload),
    'image.tag': imageTagOp(docker),
    'image.remove': imageRemoveOp(docker),
    'image.prune': imagePruneOp(docker),
    'volume.create': volumeCreateOp(docker),
    'volume.remove': volumeRemoveOp(docker),
    'volume.prune': volumePruneOp(docker),
    'container.spec': containerSpecOp(docker),
    'volume.archive': volumeArchiveOp(docker, options.upload),
    'volume.restore': volumeRestoreOp(docker, options.upload),
    'network.create': networkCreateOp(docker),
    'network.remove': networkRemoveOp(docker),
    'network.connect': networkConnectOp(docker),
    'network.disconnect': networkDisconnectOp(docker),
  };
}
