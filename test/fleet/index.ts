export { FLEET_MARKER } from './daemon.js';
export {
  createFleet,
  destroyFleet,
  FLEET_IMAGE,
  Fleet,
  type FleetOptions,
  freePort,
  repoRoot,
  SHARED_SUBNET,
} from './fleet.js';
export { FleetApi } from './fleet-api.js';
export { FleetController } from './fleet-controller.js';
export { FleetHost, randomMac } from './fleet-host.js';
export { compareFleet, compareHost, describeDiff, isClean, waitConverged } from './inventory-check.js';
export { teardownAll, teardownState, teardownTag } from './teardown.js';
