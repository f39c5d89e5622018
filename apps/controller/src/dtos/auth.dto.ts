import { z } from 'zod';
import { isoDate } from './inventory.dto.js';
import { CursorParamSchema, LimitParamSchema, pageSchema } from './pagination.dto.js';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export const RoleSchema = z
  .enum(ROLES)
  .describe('viewer: read; operator: read + lifecycle commands and scheduling; admin: everything');
export type Role = z.infer<typeof RoleSchema>;

const MAX_EXPIRY_SECONDS = 10 * 365 * 24 * 3600;
const name = z.string().trim().min(1).max(100);

export const CreateApiTokenSchema = z.strictObject({
  name: name.describe('who or what uses the token; shown in the audit log'),
  role: RoleSchema,
  expiresInSeconds: z
    .number()
    .int()
    .min(60)
    .max(MAX_EXPIRY_SECONDS)
    .optional()
    .describe('lifetime; omit for a token that does not expire'),
});
export type CreateApiToken = z.infer<typeof CreateApiTokenSchema>;

const createdBy = z
  .string()
  .nullable()
  .describe(
    'who made it: "token:NAME (token id)", "command line" (the controller\'s command line) or "first start"; null when unknown',
  );

export const ApiTokenSchema = z.object({
  id: z.guid().describe('Corral id of the token; DELETE /tokens/{id} revokes it'),
  name: z.string().describe('who or what uses the token (1 to 100 characters); shown in the audit log'),
  role: RoleSchema,
  prefix: z.string().describe('the first characters of the secret, to tell tokens apart'),
  createdBy,
  createdAt: isoDate.describe('when it was made'),
  expiresAt: isoDate.nullable().describe('when it stops working; null when it never expires'),
  revokedAt: isoDate.nullable().describe('when it was revoked; null while it is not'),
  lastUsedAt: isoDate.nullable().describe('updated at most once a minute'),
});
export const ApiTokenPageSchema = z.object({
  items: z.array(ApiTokenSchema).describe('every API token, newest first, revoked and expired ones included'),
});
export const CreatedApiTokenSchema = ApiTokenSchema.extend({
  secret: z.string().describe('the bearer token; shown this once and never again'),
});
export type ApiTokenDto = z.infer<typeof ApiTokenSchema>;

export const CreateEnrollmentTokenSchema = z.strictObject({
  name: name.optional().describe('a name for people, e.g. the batch of hosts it is for (1 to 100 characters)'),
  expiresInSeconds: z
    .number()
    .int()
    .min(60)
    .max(30 * 24 * 3600)
    .default(3600)
    .describe('lifetime (default 1 h, at most 30 days)'),
  maxUses: z.number().int().min(1).max(100_000).default(1).describe('how many agents may enroll with it (default 1)'),
  allowTakeover: z
    .boolean()
    .default(false)
    .describe(
      'let an agent enroll under the hostname or agent id of a host that is already enrolled, replacing that ' +
        "host's agent (its old credential is revoked)",
    ),
});
export type CreateEnrollmentToken = z.output<typeof CreateEnrollmentTokenSchema>;

export const EnrollmentTokenSchema = z.object({
  id: z.guid().describe('Corral id of the enrollment token; DELETE /enrollment-tokens/{id} revokes it'),
  name: z.string().nullable().describe('a name for people; null when none was given'),
  prefix: z.string().describe('the first characters of the secret, to tell tokens apart'),
  maxUses: z.number().int().describe('how many agents may enroll with it (1 to 100000)'),
  uses: z.number().int().describe('how many agents have enrolled with it so far'),
  allowTakeover: z
    .boolean()
    .describe('an agent may enroll under the hostname or agent id of an enrolled host, replacing its agent'),
  createdBy,
  createdAt: isoDate.describe('when it was made'),
  expiresAt: isoDate.describe('when it stops working'),
  revokedAt: isoDate.nullable().describe('when it was revoked; null while it is not'),
});
export const EnrollmentTokenPageSchema = z.object({
  items: z
    .array(EnrollmentTokenSchema)
    .describe('every enrollment token, newest first, revoked, expired and used-up ones included'),
});
export const CreatedEnrollmentTokenSchema = EnrollmentTokenSchema.extend({
  secret: z.string().describe('give it to the agent as CORRAL_ENROLLMENT_TOKEN; shown this once'),
});
export type EnrollmentTokenDto = z.infer<typeof EnrollmentTokenSchema>;

export const EnrollRequestSchema = z.strictObject({
  token: z.string().min(1).max(512).describe('the enrollment token secret (crl_enr_...)'),
  agentId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{8,128}$/, 'must be 8 to 128 of A-Z a-z 0-9 . _ -')
    .describe('the agent id kept in its state dir'),
  hostname: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .describe("the host's name (CORRAL_HOSTNAME, or the system hostname), 1 to 255 characters"),
});
export type EnrollRequest = z.infer<typeof EnrollRequestSchema>;

export const EnrollResponseSchema = z.object({
  hostId: z.guid().describe('Corral id of the enrolled host'),
  credential: z.string().describe('the agent credential: send it as Authorization: Bearer on /agent; shown once'),
});

export const HostRevokeResponseSchema = z.object({
  hostId: z.guid().describe('Corral id of the host cut off'),
  revokedCredentials: z.number().int().describe('credentials revoked by this call'),
  disconnected: z.number().int().describe('live agent connections closed'),
});

export const AuditQuerySchema = z.strictObject({
  actor: z.string().trim().min(1).max(200).optional().describe('actor name (token:NAME, host:NAME) or actor id'),
  action: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('substring of the action, e.g. POST or container.start'),
  targetKind: z.string().trim().min(1).max(50).optional().describe('host, container, token, enrollment-token, command'),
  targetId: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('id of the target, as the entries hold it (a Corral id, or the name when the route took one)'),
  since: z.iso.datetime({ offset: true }).optional().describe('entries at or after this time'),
  until: z.iso.datetime({ offset: true }).optional().describe('entries before this time'),
  limit: LimitParamSchema,
  cursor: CursorParamSchema,
});
export type AuditQuery = z.output<typeof AuditQuerySchema>;

export const AuditEntrySchema = z.object({
  id: z.guid().describe('Corral id of the entry'),
  at: isoDate.describe('when it happened'),
  actor: z.string().describe('token:NAME, host:HOSTNAME, enrollment:NAME or anonymous'),
  actorId: z.string().nullable().describe('id of the token, host or enrollment token'),
  action: z.string().describe('METHOD /route/pattern, with the command op where there is one'),
  targetKind: z
    .string()
    .nullable()
    .describe(
      'kind of what it acted on, from the route: host, container, image, volume, network, token, enrollment-token, policy, command, ...; null when none',
    ),
  targetId: z.string().nullable().describe('id of what it acted on, as the route named it; null when none'),
  outcome: z.string().describe('ok, denied, failed, or a command final status'),
  statusCode: z
    .number()
    .int()
    .nullable()
    .describe('HTTP status of the answer; null for entries made when a command ended'),
  detail: z
    .record(z.string(), z.unknown())
    .describe('what else is worth keeping: the reason of a denial, the command id and op, ... (no secrets)'),
  remoteAddr: z.string().nullable().describe('client address of the request; null when not from one'),
});
export const AuditPageSchema = pageSchema(AuditEntrySchema);
export type AuditEntryDto = z.infer<typeof AuditEntrySchema>;
