import { z } from 'zod';

export const ErrorCodeSchema = z.enum([
  'invalid_json',
  'invalid_message',
  'unknown_message_type',
  'protocol_version_unsupported',
  'hello_required',
  'duplicate_hello',
  'snapshot_required',
  'frame_too_large',
  'rate_limited',
  'too_many_invalid_frames',
  // The agent credential belongs to another host than the hello names.
  'credential_mismatch',
  // The hello names another hostname than the one the host enrolled with (field: hostname).
  'hostname_mismatch',
  // A newer connection of the same host said hello (to any controller replica): this one is stale.
  'superseded',
  'internal',
  'unavailable',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

// Whether the sender can expect the same frame to succeed later (e.g. the database was down).
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set(['internal', 'unavailable', 'rate_limited']);
