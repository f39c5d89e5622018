import { z } from 'zod';
import { commaList } from './comma-list.js';

export const EVENT_KINDS = ['container', 'image', 'volume', 'network', 'bridge', 'lease', 'host', 'command'] as const;

export const CONTAINER_EVENT_TYPES = [
  'container-created',
  'container-removed',
  'container-started',
  'container-stopped',
  'container-paused',
  'container-unpaused',
  'container-frozen',
  'container-unfrozen',
  'container-restarting',
  'container-updated',
] as const;
export type ContainerEventType = (typeof CONTAINER_EVENT_TYPES)[number];

export const BRIDGE_EVENT_TYPES = [
  'bridge-added',
  'bridge-removed',
  'bridge-up',
  'bridge-down',
  'bridge-updated',
] as const;
export type BridgeEventType = (typeof BRIDGE_EVENT_TYPES)[number];

export const LEASE_EVENT_TYPES = ['lease-added', 'lease-removed', 'lease-renewed', 'lease-updated'] as const;
export type LeaseEventType = (typeof LEASE_EVENT_TYPES)[number];

// Inventory and host event types; command events are `command-<status>`, named by the command side.
export const EVENT_TYPES: readonly string[] = [
  ...CONTAINER_EVENT_TYPES,
  'image-added',
  'image-removed',
  'image-updated',
  'volume-created',
  'volume-removed',
  'volume-updated',
  'network-created',
  'network-removed',
  'network-updated',
  ...BRIDGE_EVENT_TYPES,
  ...LEASE_EVENT_TYPES,
  'host-online',
  'host-offline',
];

const isEventType = (t: string) => EVENT_TYPES.includes(t) || /^command-[a-z_]+$/.test(t);

export const EventIdSchema = z
  .string()
  .trim()
  .regex(/^\d{1,16}$/, 'must be the id of an event received before (a non-negative integer)')
  .transform(Number);

export const EventStreamQuerySchema = z.strictObject({
  host: z.guid('must be a host id (UUID)').optional().describe('only events of this host (its Corral id)'),
  kind: commaList(z.enum(EVENT_KINDS))
    .optional()
    .describe('event kinds, comma-separated: container,image,volume,network,bridge,lease,host,command'),
  type: commaList(z.string().refine(isEventType, 'must be an event type such as container-started or lease-added'))
    .optional()
    .describe('event types, comma-separated (container-started,container-stopped)'),
  lastEventId: EventIdSchema.optional().describe(
    'resume after this event id, for clients that cannot send the Last-Event-ID header (the header wins)',
  ),
});

export type EventStreamQuery = z.output<typeof EventStreamQuerySchema>;

export const EventSchema = z.object({
  id: z.number().int().describe('increasing; send the last one seen as Last-Event-ID to resume'),
  type: z.string().describe('what happened, in the past tense: container-started, lease-renewed, host-offline, ...'),
  kind: z.enum(EVENT_KINDS),
  hostId: z.guid().nullable(),
  at: z.string().describe('ISO 8601 time the controller recorded the event'),
  data: z
    .record(z.string(), z.unknown())
    .describe(
      'id (Corral row id), key (record key), name, state and previousState where the kind has a state, ip, ...',
    ),
});

export const ResetEventSchema = z.object({
  reason: z.string(),
  lastEventId: z.number().int().describe('the id asked for'),
  resumeFrom: z.number().int().describe('events after this id follow; list the inventory again to catch up'),
});
