import { z } from 'zod';
import {
  CommandAcceptedSchema,
  CommandCancelSchema,
  CommandMessageSchema,
  CommandOutputSchema,
  CommandResultMessageSchema,
} from './commands.js';
import { ErrorCodeSchema } from './errors.js';
import { HostLabelsSchema } from './labels.js';
import {
  BridgeRecordSchema,
  ContainerRecordSchema,
  FindingRecordSchema,
  HostFactsSchema,
  ImageRecordSchema,
  LeaseRecordSchema,
  NetworkRecordSchema,
  RuntimeStatusSchema,
  VolumeRecordSchema,
} from './records.js';
import { AgentStreamMessageSchemas, ControllerStreamMessageSchemas } from './streams.js';

const seq = z.number().int().nonnegative().describe('agent sequence number');

// ---- agent -> controller -------------------------------------------------------------

export const HelloSchema = z.object({
  type: z.literal('hello'),
  protocolVersion: z.string().describe('major.minor'),
  agentId: z.string().min(8).max(128).describe('stable id the agent keeps in its state dir'),
  hostname: z.string().min(1).max(255),
  agentVersion: z.string(),
  runtimes: z.array(RuntimeStatusSchema),
  lastAckedSeq: seq.describe('highest sequence the controller acknowledged to this agent process'),
  capabilities: z.array(z.string()).default([]),
  labels: HostLabelsSchema.default({}).describe('labels from the agent config (CORRAL_LABELS)'),
});
export type Hello = z.infer<typeof HelloSchema>;

export const InventorySchema = z.object({
  facts: HostFactsSchema,
  containers: z.array(ContainerRecordSchema),
  images: z.array(ImageRecordSchema),
  volumes: z.array(VolumeRecordSchema),
  networks: z.array(NetworkRecordSchema),
  bridges: z.array(BridgeRecordSchema),
  leases: z.array(LeaseRecordSchema),
  // Agents older than the doctor send none.
  findings: z.array(FindingRecordSchema).default([]).describe("the host doctor's latest findings"),
});
export type Inventory = z.infer<typeof InventorySchema>;

export const SnapshotSchema = InventorySchema.extend({
  type: z.literal('snapshot'),
  seq,
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

const upsert = <K extends string, S extends z.ZodType>(kind: K, record: S) =>
  z.object({ op: z.literal('upsert'), kind: z.literal(kind), record });

export const UpsertChangeSchema = z.discriminatedUnion('kind', [
  upsert('container', ContainerRecordSchema),
  upsert('image', ImageRecordSchema),
  upsert('volume', VolumeRecordSchema),
  upsert('network', NetworkRecordSchema),
  upsert('bridge', BridgeRecordSchema),
  upsert('lease', LeaseRecordSchema),
  upsert('finding', FindingRecordSchema),
  upsert('facts', HostFactsSchema),
]);

export const RemoveChangeSchema = z.object({
  op: z.literal('remove'),
  kind: z.enum(['container', 'image', 'volume', 'network', 'bridge', 'lease', 'finding']),
  key: z.string().min(1).describe('recordKey() of the removed record'),
});

export const ChangeSchema = z.discriminatedUnion('op', [UpsertChangeSchema, RemoveChangeSchema]);
export type Change = z.infer<typeof ChangeSchema>;

export const DeltaSchema = z.object({
  type: z.literal('delta'),
  seq,
  changes: z.array(ChangeSchema).min(1),
});
export type Delta = z.infer<typeof DeltaSchema>;

export const LoadReportSchema = z.object({
  load1: z.number().nonnegative().describe('load average over 1 minute (runnable tasks, as /proc/loadavg)'),
  load5: z.number().nonnegative().describe('load average over 5 minutes'),
  load15: z.number().nonnegative().describe('load average over 15 minutes'),
  memoryAvailableBytes: z.number().int().nonnegative().describe('MemAvailable in bytes at the heartbeat'),
  uptimeSeconds: z.number().nonnegative().describe('seconds since the host booted'),
});
export type LoadReport = z.infer<typeof LoadReportSchema>;

export const HeartbeatSchema = z.object({
  type: z.literal('heartbeat'),
  at: z.iso.datetime({ offset: true }),
  load: LoadReportSchema,
});
export type Heartbeat = z.infer<typeof HeartbeatSchema>;

export const ErrorFrameSchema = z.object({
  type: z.literal('error'),
  code: ErrorCodeSchema,
  message: z.string(),
  retryable: z.boolean(),
  field: z.string().nullable().default(null).describe('path of the offending field, when one is to blame'),
  inReplyTo: z.string().nullable().default(null).describe('type of the frame that caused the error'),
});
export type ErrorFrame = z.infer<typeof ErrorFrameSchema>;

export const AgentMessageSchema = z.discriminatedUnion('type', [
  HelloSchema,
  SnapshotSchema,
  DeltaSchema,
  HeartbeatSchema,
  ErrorFrameSchema,
  CommandAcceptedSchema,
  CommandOutputSchema,
  CommandResultMessageSchema,
  ...AgentStreamMessageSchemas,
]);
export type AgentMessage = z.infer<typeof AgentMessageSchema>;

// ---- controller -> agent ---------------------------------------------------------------

export const WelcomeSchema = z.object({
  type: z.literal('welcome'),
  protocolVersion: z.string(),
  hostId: z.string(),
  heartbeatIntervalMs: z.number().int().positive(),
  lastSeq: seq.describe('highest sequence the controller has applied for this host'),
  needSnapshot: z.boolean(),
});
export type Welcome = z.infer<typeof WelcomeSchema>;

export const AckSchema = z.object({
  type: z.literal('ack'),
  seq,
});
export type Ack = z.infer<typeof AckSchema>;

export const SnapshotRequestSchema = z.object({
  type: z.literal('snapshot.request'),
  reason: z.string(),
});
export type SnapshotRequest = z.infer<typeof SnapshotRequestSchema>;

export const ControllerMessageSchema = z.discriminatedUnion('type', [
  WelcomeSchema,
  AckSchema,
  SnapshotRequestSchema,
  ErrorFrameSchema,
  CommandMessageSchema,
  CommandCancelSchema,
  ...ControllerStreamMessageSchemas,
]);
export type ControllerMessage = z.infer<typeof ControllerMessageSchema>;
