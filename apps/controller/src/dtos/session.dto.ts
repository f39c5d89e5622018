import { z } from 'zod';
import { RoleSchema } from './auth.dto.js';
import { isoDate } from './inventory.dto.js';

export const CreateSessionSchema = z.strictObject({
  token: z
    .string()
    .trim()
    .min(1, 'paste an API token (crl_api_…)')
    .max(512)
    .describe('an API token; the answer sets the session cookie that stands for it'),
});
export type CreateSession = z.infer<typeof CreateSessionSchema>;

export const SessionSchema = z.object({
  tokenId: z.guid().describe('the API token the session acts as'),
  tokenName: z.string().describe('name of that API token'),
  role: RoleSchema,
  expiresAt: isoDate.describe('the session ends then, or earlier when its token is revoked or expires'),
  csrfToken: z
    .string()
    .describe('send it as the X-Corral-CSRF header on every request that changes something (cookie sessions only)'),
});
export type SessionDto = z.infer<typeof SessionSchema>;
