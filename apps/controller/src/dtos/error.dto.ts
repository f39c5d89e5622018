import { z } from 'zod';

export const ErrorResponseSchema = z.object({
  error: z.string().describe('bad_request, not_found, internal, ...'),
  message: z.string().describe('what went wrong and what to do'),
  field: z.string().optional().describe('the parameter at fault, for bad_request and policy refusals'),
  rule: z
    .string()
    .optional()
    .describe(
      'the policy rule that refused the request: a create policy rule (403), e.g. docker.bindMounts, or an image policy rule (422), e.g. image.allowedRegistries',
    ),
  candidates: z
    .array(
      z.object({
        id: z.guid().describe('Corral id of the candidate'),
        name: z.string().describe('its name (hostname for hosts, first tag or engine id for images)'),
        hostId: z.guid().nullable().describe('its host (null for hosts)'),
        hostname: z.string().nullable().describe('hostname of its host (null for hosts)'),
      }),
    )
    .optional()
    .describe('for ambiguous (409): the rows the name fits; use one of their ids'),
});

export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;
