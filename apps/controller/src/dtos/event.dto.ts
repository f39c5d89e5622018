import { KIND_SPECS, KINDS, type KindEventType, RECORD_KINDS } from '@corral/protocol';
import { z } from 'zod';
import { commaList } from './comma-list.js';

export const EVENT_KINDS = [...RECORD_KINDS, 'host', 'command'] as const;

export const CONTAINER_EVENT_TYPES = KINDS.container.events.types;
export type ContainerEventType = KindEventType<'container'>;
export const BRIDGE_EVENT_TYPES = KINDS.bridge.events.types;
export type BridgeEventType = KindEventType<'bridge'>;
export const LEASE_EVENT_TYPES = KINDS.lease.events.types;
export type LeaseEventType = KindEventType<'lease'>;

// Inventory event types come from the kind registry; command events are `command-<status>`, named
// by the command side.
export const EVENT_TYPES: readonly string[] = [
  ...KIND_SPECS.flatMap((k) => k.events.types),
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
  id: z
    .number()
    .int()
    .describe(
      'increasing, durable and the same on every controller replica; send the last one seen as Last-Event-ID to resume',
    ),
  type: z.string().describe('what happened, in the past tense: container-started, lease-renewed, host-offline, ...'),
  kind: z.enum(EVENT_KINDS).describe('what the event is about: an inventory kind, host or command'),
  hostId: z.guid().nullable().describe('Corral id of the host it happened on; null when it belongs to none'),
  at: z.string().describe('ISO 8601 time the controller recorded the event'),
  data: z
    .record(z.string(), z.unknown())
    .describe(
      'id (Corral row id), key (record key), name, state and previousState where the kind has a state, ip, ...',
    ),
});

export const ResetEventSchema = z.object({
  reason: z
    .string()
    .describe(
      'why the stream cannot resume where asked: the events after that id are no longer kept, the id was never issued, or a controller had to drop events',
    ),
  lastEventId: z.number().int().describe('the id asked for'),
  resumeFrom: z.number().int().describe('events after this id follow; list the inventory again to catch up'),
});
