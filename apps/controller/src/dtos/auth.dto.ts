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

export const ApiTokenSchema = z.object({
  id: z.guid(),
  name: z.string(),
  role: RoleSchema,
  prefix: z.string().describe('the first characters of the secret, to tell tokens apart'),
  createdBy: z.string().nullable(),
  createdAt: isoDate,
  expiresAt: isoDate.nullable(),
  revokedAt: isoDate.nullable(),
  lastUsedAt: isoDate.nullable().describe('updated at most once a minute'),
});
export const ApiTokenPageSchema = z.object({ items: z.array(ApiTokenSchema) });
export const CreatedApiTokenSchema = ApiTokenSchema.extend({
  secret: z.string().describe('the bearer token; shown this once and never again'),
});
export type ApiTokenDto = z.infer<typeof ApiTokenSchema>;

export const CreateEnrollmentTokenSchema = z.strictObject({
  name: name.optional(),
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
  id: z.guid(),
  name: z.string().nullable(),
  prefix: z.string(),
  maxUses: z.number().int(),
  uses: z.number().int(),
  allowTakeover: z.boolean(),
  createdBy: z.string().nullable(),
  createdAt: isoDate,
  expiresAt: isoDate,
  revokedAt: isoDate.nullable(),
});
export const EnrollmentTokenPageSchema = z.object({ items: z.array(EnrollmentTokenSchema) });
export const CreatedEnrollmentTokenSchema = EnrollmentTokenSchema.extend({
  secret: z.string().describe('give it to the agent as CORRAL_ENROLLMENT_TOKEN; shown this once'),
});
export type EnrollmentTokenDto = z.infer<typeof EnrollmentTokenSchema>;

export const EnrollRequestSchema = z.strictObject({
  token: z.string().min(1).max(512).describe('the enrollment token'),
  agentId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{8,128}$/, 'must be 8 to 128 of A-Z a-z 0-9 . _ -')
    .describe('the agent id kept in its state dir'),
  hostname: z.string().trim().min(1).max(255),
});
export type EnrollRequest = z.infer<typeof EnrollRequestSchema>;

export const EnrollResponseSchema = z.object({
  hostId: z.guid(),
  credential: z.string().describe('the agent credential: send it as Authorization: Bearer on /agent; shown once'),
});

export const HostRevokeResponseSchema = z.object({
  hostId: z.guid(),
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
  targetId: z.string().trim().min(1).max(200).optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('entries at or after this time'),
  until: z.iso.datetime({ offset: true }).optional().describe('entries before this time'),
  limit: LimitParamSchema,
  cursor: CursorParamSchema,
});
export type AuditQuery = z.output<typeof AuditQuerySchema>;

export const AuditEntrySchema = z.object({
  id: z.guid(),
  at: isoDate,
  actor: z.string().describe('token:NAME, host:HOSTNAME, enrollment:NAME or anonymous'),
  actorId: z.string().nullable().describe('id of the token, host or enrollment token'),
  action: z.string().describe('METHOD /route/pattern, with the command op where there is one'),
  targetKind: z.string().nullable(),
  targetId: z.string().nullable(),
  outcome: z.string().describe('ok, denied, failed, or a command final status'),
  statusCode: z.number().int().nullable(),
  detail: z.record(z.string(), z.unknown()),
  remoteAddr: z.string().nullable(),
});
export const AuditPageSchema = pageSchema(AuditEntrySchema);
export type AuditEntryDto = z.infer<typeof AuditEntrySchema>;
