import { z } from 'zod';

export const ErrorResponseSchema = z.object({
  error: z.string().describe('bad_request, not_found, internal, ...'),
  message: z.string().describe('what went wrong and what to do'),
  field: z.string().optional().describe('the parameter at fault, for bad_request and policy refusals'),
  rule: z.string().optional().describe('the create policy rule that refused the request (403), e.g. docker.bindMounts'),
});

export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;
