import { COMMAND_OPS, type CommandOp } from '@corral/protocol';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { describe, expect, it } from 'vitest';
import { COMMAND_OP } from './command-route.decorators.js';
import { ContainerMoveController } from './container-move.controller.js';
import { ImageTransferController } from './image-transfer.controller.js';
import { OpRoutesController } from './op-routes.controller.js';

// The generic routes, and the ones of ops whose route is their own (`custom`: a file answer, a fan-out).
const CONTROLLERS = [OpRoutesController, ImageTransferController, ContainerMoveController];

// "POST /api/v1/containers/:id/stop" -> op, read from the routes' own metadata.
function routeTable(): Record<string, CommandOp> {
  const table: Record<string, CommandOp> = {};
  for (const controller of CONTROLLERS) {
    const prefix = Reflect.getMetadata(PATH_METADATA, controller) as string;
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as unknown as Record<string, object>)[name]!;
      const op = Reflect.getMetadata(COMMAND_OP, handler) as CommandOp | undefined;
      if (!op) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string;
      table[`${method} /${[prefix, path].filter((p) => p && p !== '/').join('/')}`] = op;
    }
  }
  return table;
}

describe('command routes', () => {
  const sut = routeTable();

  it('map each route to its op', () => {
    expect(sut).toEqual({
      'POST /api/v1/containers/:id/start': 'container.start',
      'POST /api/v1/containers/:id/stop': 'container.stop',
      'POST /api/v1/containers/:id/restart': 'container.restart',
      'POST /api/v1/containers/:id/kill': 'container.kill',
      'POST /api/v1/containers/:id/pause': 'container.pause',
      'POST /api/v1/containers/:id/unpause': 'container.unpause',
      'POST /api/v1/containers/:id/freeze': 'container.freeze',
      'POST /api/v1/containers/:id/unfreeze': 'container.unfreeze',
      'POST /api/v1/containers/:id/rename': 'container.rename',
      'POST /api/v1/containers/:id/exec': 'container.exec',
      'POST /api/v1/containers/:id/logs': 'container.logs',
      'POST /api/v1/containers/:id/clone': 'container.clone',
      'DELETE /api/v1/containers/:id': 'container.remove',
      'POST /api/v1/containers/:id/snapshots': 'container.snapshot.create',
      'GET /api/v1/containers/:id/snapshots': 'container.snapshot.list',
      'POST /api/v1/containers/:id/snapshots/:snapshot/restore': 'container.snapshot.restore',
      'DELETE /api/v1/containers/:id/snapshots/:snapshot': 'container.snapshot.delete',
      'POST /api/v1/hosts/:host/containers': 'container.create',
      'POST /api/v1/containers/:id/commit': 'container.commit',
      'POST /api/v1/containers/:id/copy': 'container.archive',
      'POST /api/v1/containers/:id/move': 'container.restore',
      'POST /api/v1/hosts/:host/images/import': 'image.import',
      'POST /api/v1/hosts/:host/images/pull': 'image.pull',
      'POST /api/v1/hosts/:host/images/load': 'image.load',
      'GET /api/v1/images/:id/save': 'image.save',
      'POST /api/v1/images/:id/copy': 'image.copy',
      'POST /api/v1/hosts/:host/images/prune': 'image.prune',
      'POST /api/v1/hosts/:host/volumes': 'volume.create',
      'POST /api/v1/hosts/:host/volumes/prune': 'volume.prune',
      'POST /api/v1/hosts/:host/networks': 'network.create',
      'POST /api/v1/hosts/:host/refresh': 'host.refresh',
      'POST /api/v1/hosts/:host/doctor': 'host.doctor',
      'POST /api/v1/hosts/:host/doctor/fix': 'host.doctor.fix',
      'POST /api/v1/images/:id/tag': 'image.tag',
      'DELETE /api/v1/images/:id': 'image.remove',
      'DELETE /api/v1/volumes/:id': 'volume.remove',
      'DELETE /api/v1/networks/:id': 'network.remove',
      'POST /api/v1/networks/:id/connect': 'network.connect',
      'POST /api/v1/networks/:id/disconnect': 'network.disconnect',
    });
  });

  // Steps of a move that no route of their own issues (POST /containers/{id}/move issues them).
  const MOVE_STEPS: CommandOp[] = ['container.spec', 'volume.archive', 'volume.restore'];

  it('reach every op exactly once', () => {
    expect([...Object.values(sut), ...MOVE_STEPS].sort()).toEqual([...COMMAND_OPS].sort());
  });
});
