// Counters shared by every agent of a fleet; gauges (connected, synced, handshaking) go up and down.
export class FleetStats {
  connectAttempts = 0;
  handshaking = 0;
  connected = 0;
  synced = 0;
  disconnects = 0;
  socketErrors = 0;
  silentTimeouts = 0;
  // Hosts whose first snapshot of this process was acknowledged.
  hostsSynced = 0;
  snapshotsSent = 0;
  snapshotsAcked = 0;
  snapshotRequests = 0;
  replays = 0;
  deltasSent = 0;
  deltasResent = 0;
  deltasAcked = 0;
  changesOffered = 0;
  changesSent = 0;
  changesAcked = 0;
  // Changes folded into a later one, or undone, before they could be sent.
  coalesced = 0;
  windowFullSkips = 0;
  heartbeatsSent = 0;
  commandsReceived = 0;
  commandsAnswered = 0;
  commandsCanceled = 0;
  errorFrames = 0;
  badFrames = 0;
  bytesSent = 0;
  lastError: string | null = null;
}

export interface FleetSnapshot extends FleetStats {
  hosts: number;
  // Deltas sent and not yet acknowledged, summed over the fleet.
  unackedDeltas: number;
  // Changed records waiting for their agent to send a delta.
  dirtyRecords: number;
  snapshotQueue: number;
  connectQueue: number;
}
