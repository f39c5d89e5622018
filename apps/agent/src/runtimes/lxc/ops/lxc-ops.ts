import type { OpHandlers } from '../../../executor/handler.js';
import { lxcClone } from './clone.op.js';
import { lxcCreate } from './create.op.js';
import { lxcExec } from './exec.op.js';
import { lxcFreeze, lxcUnfreeze } from './freeze.op.js';
import { type LxcOpsOptions, lxcDeps } from './lxc-op.context.js';
import { lxcRemove } from './remove.op.js';
import { lxcRestart } from './restart.op.js';
import { lxcSnapshotCreate } from './snapshot-create.op.js';
import { lxcSnapshotDelete } from './snapshot-delete.op.js';
import { lxcSnapshotList } from './snapshot-list.op.js';
import { lxcSnapshotRestore } from './snapshot-restore.op.js';
import { lxcStart } from './start.op.js';
import { lxcStop } from './stop.op.js';
import { type LxcTransferOptions, lxcArchive, lxcRestore } from './transfer.op.js';

export type { LxcOpsOptions, Runner } from './lxc-op.context.js';
export { lxcCreate };

// Handlers for the ops in RUNTIME_OPS.lxc; container.create takes LXC params only (the executor picks it by runtime).
// Copy and move (container.archive, container.restore) need the controller's address and the agent's grants.
export function createLxcHandlers(options: LxcOpsOptions, transfer?: LxcTransferOptions): OpHandlers {
  const deps = lxcDeps(options);
  return {
    'container.create': lxcCreate(deps),
    'container.start': lxcStart(deps),
    'container.stop': lxcStop(deps),
    'container.restart': lxcRestart(deps),
    'container.freeze': lxcFreeze(deps),
    'container.unfreeze': lxcUnfreeze(deps),
    'container.remove': lxcRemove(deps),
    'container.exec': lxcExec(deps),
    'container.snapshot.create': lxcSnapshotCreate(deps),
    'container.snapshot.list': lxcSnapshotList(deps),
    'container.snapshot.restore': lxcSnapshotRestore(deps),
    'container.snapshot.delete': lxcSnapshotDelete(deps),
    'container.clone': lxcClone(deps),
    ...(transfer
      ? { 'container.archive': lxcArchive(deps, transfer), 'container.restore': lxcRestore(deps, transfer) }
      : {}),
  };
}
