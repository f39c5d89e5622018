import { type ContainerState, kindSpec, type RecordKind } from '@corral/protocol';
import type { BridgeEventType, ContainerEventType, LeaseEventType } from '../dtos/event.dto.js';
import type { RowChange } from '../repositories/inventory.repository.js';
import type { NewEvent } from './event-bus.js';

const STOPPED: ReadonlySet<string> = new Set(['exited', 'stopped', 'dead']);
const FROZEN: ReadonlySet<string> = new Set(['frozen', 'freezing']);

// A stored container's state change, named for what happened; transitional states are plain updates.
export function containerTransition(previous: ContainerState, next: ContainerState): ContainerEventType {
  if (previous === next) return 'container-updated';
  switch (next) {
    case 'running':
      if (previous === 'paused') return 'container-unpaused';
      if (FROZEN.has(previous)) return 'container-unfrozen';
      // thawed -> running finishes an unfreeze already reported at thawed
      return previous === 'thawed' ? 'container-updated' : 'container-started';
    case 'exited':
    case 'stopped':
    case 'dead':
      return STOPPED.has(previous) ? 'container-updated' : 'container-stopped';
    case 'paused':
      return 'container-paused';
    case 'frozen':
      return 'container-frozen';
    case 'thawed':
      return 'container-unfrozen';
    case 'restarting':
      return 'container-restarting';
    default:
      return 'container-updated';
  }
}

// A bridge counts as up when administratively up and its operstate is not DOWN (UNKNOWN is common for bridges).
export function bridgeIsUp(bridge: { up: boolean; state: string }): boolean {
  return bridge.up && bridge.state.toUpperCase() !== 'DOWN' && bridge.state.toUpperCase() !== 'LOWERLAYERDOWN';
}

export function bridgeTransition(
  previous: { up: boolean; state: string },
  next: { up: boolean; state: string },
): BridgeEventType {
  const was = bridgeIsUp(previous);
  const is = bridgeIsUp(next);
  if (was === is) return 'bridge-updated';
  return is ? 'bridge-up' : 'bridge-down';
}

export function leaseTransition(previousExpiresAt: Date | null, nextExpiresAt: Date | null): LeaseEventType {
  return (previousExpiresAt?.getTime() ?? null) === (nextExpiresAt?.getTime() ?? null)
    ? 'lease-updated'
    : 'lease-renewed';
}

type Values = Record<string, unknown>;

const first = (v: unknown) => (Array.isArray(v) && typeof v[0] === 'string' ? v[0] : null);
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : null);
const str = (v: unknown) => (typeof v === 'string' ? v : null);

function typeOf(kind: RecordKind, change: RowChange): string {
  const names = kindSpec(kind).events;
  if (change.change === 'created') return names.created;
  if (change.change === 'removed') return names.removed;
  const before = change.before!;
  const after = change.after!;
  switch (kind) {
    case 'container':
      return containerTransition(before.state as ContainerState, after.state as ContainerState);
    case 'bridge':
      return bridgeTransition(before as { up: boolean; state: string }, after as { up: boolean; state: string });
    case 'lease':
      return leaseTransition(before.expiresAt as Date | null, after.expiresAt as Date | null);
    default:
      return names.updated;
  }
}

// What a client needs to show the change without another request; ids are Corral row ids.
function dataOf(kind: RecordKind, change: RowChange): Values {
  const now = change.after ?? change.before!;
  const before = change.before;
  const after = change.after;
  const base = { id: change.id, key: change.key };
  switch (kind) {
    case 'container':
      return {
        ...base,
        name: str(now.name),
        runtime: str(now.runtime),
        state: after ? str(after.state) : null,
        previousState: before ? str(before.state) : null,
        ip: first(now.ipv4),
      };
    case 'image':
      return { ...base, name: first(now.tags) ?? change.key, tags: now.tags ?? [] };
    case 'bridge':
      return {
        ...base,
        name: str(now.name),
        state: after ? str(after.state) : null,
        previousState: before ? str(before.state) : null,
        up: after ? bridgeIsUp(after as { up: boolean; state: string }) : null,
        ip: first(now.ips),
      };
    case 'lease':
      return {
        ...base,
        name: str(now.hostname),
        ip: str(now.ip),
        mac: str(now.mac),
        expiresAt: after ? iso(after.expiresAt) : null,
        previousExpiresAt: before ? iso(before.expiresAt) : null,
      };
    case 'finding':
      return {
        ...base,
        name: str(now.findingId),
        severity: str(now.severity),
        message: str(now.message),
        fix: now.fix ?? null,
      };
    default:
      return { ...base, name: str(now.name) };
  }
}

export function inventoryEvent(kind: RecordKind, hostId: string, change: RowChange): NewEvent {
  return { type: typeOf(kind, change), kind, hostId, data: dataOf(kind, change) };
}
