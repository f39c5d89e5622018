import { z } from 'zod';
import {
  ApiTokenPageSchema,
  ApiTokenSchema,
  AuditPageSchema,
  CreatedApiTokenSchema,
  CreatedEnrollmentTokenSchema,
  EnrollmentTokenPageSchema,
  EnrollmentTokenSchema,
  EnrollResponseSchema,
  HostRevokeResponseSchema,
} from './auth.dto.js';
import { CommandPageSchema, CommandSchema } from './command.dto.js';
import { ContainerMoveReplySchema } from './container-move.dto.js';
import { FleetDoctorSchema, HostDoctorSchema } from './doctor.dto.js';
import { ErrorResponseSchema } from './error.dto.js';
import { EventSchema, ResetEventSchema } from './event.dto.js';
import { FleetSummarySchema } from './fleet.dto.js';
import { HostPageSchema, HostSchema } from './host.dto.js';
import { HostRenamedSchema } from './host-identity.dto.js';
import { DrainMovedSchema, DrainSchema } from './host-scheduling.dto.js';
import { ImagePolicyListSchema, ImagePolicySchema } from './image-policy.dto.js';
import { ImageCopyReplySchema } from './image-transfer.dto.js';
import {
  BridgePageSchema,
  BridgeSchema,
  ContainerPageSchema,
  ContainerSchema,
  ImagePageSchema,
  ImageSchema,
  LeasePageSchema,
  LeaseSchema,
  NetworkPageSchema,
  NetworkSchema,
  VolumeDetailSchema,
  VolumePageSchema,
  VolumeSchema,
} from './inventory.dto.js';
import { IpLookupSchema, IpMatchSchema } from './ip-lookup.dto.js';
import {
  PlacementPageSchema,
  PlacementRejectionSchema,
  PlacementReplySchema,
  PlacementSchema,
} from './placement.dto.js';
import { EffectivePolicySchema, PolicyListSchema, PolicySchema } from './policy.dto.js';
import { RegistryListSchema, RegistrySchema } from './registry.dto.js';
import { SessionSchema } from './session.dto.js';

// Response schemas published as OpenAPI components, by component name.
export const API_SCHEMAS = {
  Error: ErrorResponseSchema,
  Host: HostSchema,
  HostPage: HostPageSchema,
  Container: ContainerSchema,
  ContainerPage: ContainerPageSchema,
  Image: ImageSchema,
  ImagePage: ImagePageSchema,
  ImageCopyReply: ImageCopyReplySchema,
  ContainerMoveReply: ContainerMoveReplySchema,
  Volume: VolumeSchema,
  VolumePage: VolumePageSchema,
  VolumeDetail: VolumeDetailSchema,
  Network: NetworkSchema,
  NetworkPage: NetworkPageSchema,
  Bridge: BridgeSchema,
  BridgePage: BridgePageSchema,
  Lease: LeaseSchema,
  LeasePage: LeasePageSchema,
  HostDoctor: HostDoctorSchema,
  FleetDoctor: FleetDoctorSchema,
  FleetSummary: FleetSummarySchema,
  IpMatch: IpMatchSchema,
  IpLookup: IpLookupSchema,
  Event: EventSchema,
  ResetEvent: ResetEventSchema,
  Command: CommandSchema,
  CommandPage: CommandPageSchema,
  Placement: PlacementSchema,
  PlacementPage: PlacementPageSchema,
  PlacementReply: PlacementReplySchema,
  PlacementRejection: PlacementRejectionSchema,
  Drain: DrainSchema,
  DrainMoved: DrainMovedSchema,
  ApiToken: ApiTokenSchema,
  ApiTokenList: ApiTokenPageSchema,
  CreatedApiToken: CreatedApiTokenSchema,
  EnrollmentToken: EnrollmentTokenSchema,
  EnrollmentTokenList: EnrollmentTokenPageSchema,
  CreatedEnrollmentToken: CreatedEnrollmentTokenSchema,
  EnrollResponse: EnrollResponseSchema,
  HostRevoke: HostRevokeResponseSchema,
  AuditPage: AuditPageSchema,
  Policy: PolicySchema,
  PolicyList: PolicyListSchema,
  EffectivePolicy: EffectivePolicySchema,
  ImagePolicy: ImagePolicySchema,
  ImagePolicyList: ImagePolicyListSchema,
  Registry: RegistrySchema,
  RegistryList: RegistryListSchema,
  HostRenamed: HostRenamedSchema,
  Session: SessionSchema,
} as const;

export type ApiSchemaName = keyof typeof API_SCHEMAS;

export const schemaRef = (name: ApiSchemaName) => ({ $ref: `#/components/schemas/${name}` });

type JsonSchema = Record<string, unknown>;

export function apiComponentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(API_SCHEMAS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'openapi-3.0',
    uri: (id) => schemaRef(id as ApiSchemaName).$ref,
  }) as { schemas: Record<string, JsonSchema> };
  // OpenAPI components are named by their key; a JSON Schema $id there only confuses viewers.
  return Object.fromEntries(Object.entries(schemas).map(([id, { $id: _, ...schema }]) => [id, schema]));
}

// A query parameter's schema as OpenAPI shows it: what the client sends, before transforms.
export function queryParamSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _, ...json } = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return json;
}
